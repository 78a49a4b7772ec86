/** vitest setupFiles: runs before each test file. */
import { installFetchCheck } from './openapi-conformance';

installFetchCheck();
