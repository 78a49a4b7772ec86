/**
 * The optional edge (config `edge`, README "Abuse limits"): a CloudFront distribution in front
 * of the HTTP API, with an AWS WAF web ACL that limits each client. HTTP APIs have no WAF
 * association and no per-client throttling (AWS, "Choose between REST APIs and HTTP APIs"),
 * so the limits live here. A web ACL for CloudFront has scope CLOUDFRONT and must be created in
 * us-east-1 (AWS WAF developer guide, "Resource types you can protect"; CloudFormation
 * AWS::WAFv2::WebACL `Scope`): this stack is pinned there, the API stack stays in its region.
 *
 * No bypass: CloudFront adds a secret origin header (`x-tv-origin-verify`) that every function
 * checks first (`lambda/http/edge.ts`). The secret lives here, in us-east-1, so that the
 * distribution reads it with a same-region dynamic reference, and is replicated to the API's
 * region, where the functions read it by its fixed name (no reference between the stacks in
 * that direction, so no cycle: the edge depends on the API, never the reverse).
 */
import { Duration, RemovalPolicy, Stack, Validations, type StackProps, CfnOutput } from 'aws-cdk-lib';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HttpVersion,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  PriceClass,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { CfnWebACL } from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';
import type { EdgeConfig, TokenVendingConfig } from '../lambda/config/schema';
import { ORIGIN_VERIFY_HEADER, RATE_LIMITED_PROBLEM, rateLimitedHeaders } from '../lambda/http/edge';
import { HMAC_HEADERS } from '../lambda/http/hmac';

/** CloudFront scope: the web ACL, and so this stack, must be in us-east-1. */
export const EDGE_REGION = 'us-east-1';

/** The fixed name of the origin-verify secret of an API stack (the functions find it by name). */
export const originSecretName = (apiStackName: string) => `${apiStackName}/edge-origin-verify`;

export interface TokenVendingEdgeStackProps extends StackProps {
  readonly config: TokenVendingConfig;
  /** The API's execute-api host name, `<api id>.execute-api.<region>.amazonaws.com`. */
  readonly apiDomainName: string;
  /** The API stack's region: the origin-verify secret is replicated there. */
  readonly apiRegion: string;
  readonly apiStackName: string;
}

/** AWS managed rule groups that fit a JSON API (the AWS managed rule groups list, "Baseline" and "IP reputation"). */
const MANAGED_GROUPS = {
  ipReputation: 'AWSManagedRulesAmazonIpReputationList',
  knownBadInputs: 'AWSManagedRulesKnownBadInputsRuleSet',
} as const;

const RATE_LIMITED_BODY_KEY = 'rate_limited';

export class TokenVendingEdgeStack extends Stack {
  readonly distribution: Distribution;
  readonly webAcl: CfnWebACL;
  readonly originSecret: Secret;

  constructor(scope: Construct, id: string, props: TokenVendingEdgeStackProps) {
    super(scope, id, props);
    const edge = props.config.edge;
    if (!edge) throw new Error('TokenVendingEdgeStack needs the config to have `edge`');

    this.originSecret = new Secret(this, 'OriginVerifySecret', {
      secretName: originSecretName(props.apiStackName),
      description: `CloudFront -> ${props.apiStackName} origin-verify header value: JSON {"current", "previous"?} (README "Abuse limits")`,
      generateSecretString: { secretStringTemplate: '{}', generateStringKey: 'current', passwordLength: 48, excludePunctuation: true },
      replicaRegions: props.apiRegion === EDGE_REGION ? undefined : [{ region: props.apiRegion }],
      // Nothing depends on its value surviving the stack: a new one is generated with it.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.originSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'CloudFront reads the value when the edge stack deploys, so a rotation must redeploy the distribution; that is the manual procedure in the README (new value in "current", old in "previous", bump edge.originSecretEpoch, deploy, drop "previous").',
    });

    this.webAcl = new CfnWebACL(this, 'WebAcl', {
      description: `Per-client limits for ${props.apiStackName}`,
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('TokenVendingEdge'),
      customResponseBodies: {
        [RATE_LIMITED_BODY_KEY]: { contentType: 'APPLICATION_JSON', content: JSON.stringify(RATE_LIMITED_PROBLEM) },
      },
      rules: webAclRules(edge, props.config),
    });

    const origin = new HttpOrigin(props.apiDomainName, {
      protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
      customHeaders: {
        // A same-region dynamic reference: resolved by CloudFormation when the distribution is
        // created or updated (AWS CloudFormation, "Get a secret or secret value from Secrets
        // Manager": a changed secret needs an update of the resource, hence the epoch below).
        [ORIGIN_VERIFY_HEADER]: this.originSecret.secretValueFromJson('current').unsafeUnwrap(),
      },
      readTimeout: Duration.seconds(30),
    });

    this.distribution = new Distribution(this, 'Distribution', {
      comment: `${props.apiStackName} token API (origin secret epoch ${edge.originSecretEpoch})`,
      defaultBehavior: {
        origin,
        allowedMethods: AllowedMethods.ALLOW_ALL,
        // API clients POST: a redirect from http would lose the body, so http is refused.
        viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
        // Managed policies (CloudFront developer guide, "Use managed cache policies" and "Use
        // managed origin request policies"): CachingDisabled: nothing is cached, every request
        // reaches the API. AllViewerExceptHostHeader: every viewer header (Authorization,
        // Origin, the x-tv-* HMAC headers), query and body go through, but not Host: API Gateway
        // routes by Host, and an execute-api origin answers 403 to a foreign Host. With caching
        // disabled these policies forward Authorization too (AWS re:Post, "cloudfront
        // authorization header").
        cachePolicy: CachePolicy.CACHING_DISABLED,
        originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        compress: false,
      },
      webAclId: this.webAcl.attrArn,
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_ALL,
      enableIpv6: true,
    });

    const nag = (id: string, reason: string) => Validations.of(this.distribution).acknowledge({ id, reason });
    nag('AwsSolutions-CFR1', 'Viewers may be anywhere; who gets a token is decided by the authorizer and entitlements, not by country.');
    nag(
      'AwsSolutions-CFR3',
      'No CloudFront standard logs: every request that passes the edge is in the API access log, and every block is in the WAF metrics and sampled requests; an S3 log bucket would add a second store of viewer IP addresses to secure and expire.',
    );
    nag(
      'AwsSolutions-CFR4',
      'The default *.cloudfront.net certificate cannot pin a minimum viewer TLS version; put a custom domain with an ACM certificate in front for TLSv1.2_2021 (README). The origin side is HTTPS with TLS 1.2 only.',
    );

    new CfnOutput(this, 'EdgeUrl', { value: `https://${this.distribution.distributionDomainName}/`, description: 'Base URL of the token API through the edge (use this one)' });
    new CfnOutput(this, 'WebAclArn', { value: this.webAcl.attrArn });
  }
}

function visibility(metricName: string): CfnWebACL.VisibilityConfigProperty {
  return { cloudWatchMetricsEnabled: true, metricName, sampledRequestsEnabled: true };
}

/** The web ACL's rules, in priority order: IP reputation, per-IP rate, per-caller rate, known bad inputs. */
export function webAclRules(edge: EdgeConfig, config: TokenVendingConfig): CfnWebACL.RuleProperty[] {
  const rules: Omit<CfnWebACL.RuleProperty, 'priority'>[] = [];
  const managed = (key: keyof typeof MANAGED_GROUPS) => {
    const group = edge.managedRules[key];
    if (group.mode === 'off') return;
    rules.push({
      name: MANAGED_GROUPS[key],
      statement: {
        managedRuleGroupStatement: {
          vendorName: 'AWS',
          name: MANAGED_GROUPS[key],
          ruleActionOverrides: group.countRules.length ? group.countRules.map((name) => ({ name, actionToUse: { count: {} } })) : undefined,
        },
      },
      // none: the group's own (block) actions; count: the whole group only counts.
      overrideAction: group.mode === 'count' ? { count: {} } : { none: {} },
      visibilityConfig: visibility(MANAGED_GROUPS[key]),
    });
  };
  const blockWith429 = (windowSeconds: number): CfnWebACL.RuleActionProperty => ({
    block: {
      customResponse: {
        responseCode: 429,
        customResponseBodyKey: RATE_LIMITED_BODY_KEY,
        responseHeaders: Object.entries(rateLimitedHeaders(windowSeconds)).map(([name, value]) => ({ name, value })),
      },
    },
  });

  managed('ipReputation');
  rules.push({
    name: 'RateLimitPerIp',
    statement: {
      rateBasedStatement: {
        limit: edge.rateLimitPerIp.requests,
        evaluationWindowSec: edge.rateLimitPerIp.windowSeconds,
        // The address CloudFront received the connection from (not X-Forwarded-For, which a client can forge).
        aggregateKeyType: 'IP',
      },
    },
    action: blockWith429(edge.rateLimitPerIp.windowSeconds),
    visibilityConfig: visibility('RateLimitPerIp'),
  });
  const perCaller = edge.rateLimitPerCaller;
  if (perCaller) {
    const key = perCaller.key ?? (config.auth?.type === 'hmac' ? 'hmac-key-id' : 'authorization');
    rules.push({
      name: 'RateLimitPerCaller',
      statement: {
        rateBasedStatement: {
          limit: perCaller.requests,
          evaluationWindowSec: perCaller.windowSeconds,
          // Requests without the header are not counted by this rule (AWS WAF, "Rate-based rule
          // aggregation options"); the per-IP rule still counts them.
          aggregateKeyType: 'CUSTOM_KEYS',
          customKeys: [
            {
              header: {
                name: key === 'hmac-key-id' ? HMAC_HEADERS.keyId : 'authorization',
                textTransformations: [{ priority: 0, type: 'NONE' }],
              },
            },
          ],
        },
      },
      action: blockWith429(perCaller.windowSeconds),
      visibilityConfig: visibility('RateLimitPerCaller'),
    });
  }
  managed('knownBadInputs');
  return rules.map((r, priority) => ({ ...r, priority }));
}
