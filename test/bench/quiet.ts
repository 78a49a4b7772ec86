/**
 * Imported first by the bench: modules that create the Powertools logger or metrics at import
 * read these, and ES imports are evaluated before the importing module's own code.
 */
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
// One EMF line per call would flood the report; README "Operations" gives the metric's own cost.
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
