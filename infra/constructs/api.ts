import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { operatorAuthorizer, routes, stageThrottle, throttles, type FunctionId } from '../../shared/routes';
import type { PublisherFunction } from './publisher-function';

export interface ApiProps {
  functions: Record<FunctionId, PublisherFunction>;
  logRetention: logs.RetentionDays;
}

// No client address: the privacy policy lists none, and rate limiting keys on a keyed hash instead.
const accessLogFormat = JSON.stringify({
  requestId: '$context.requestId',
  time: '$context.requestTime',
  method: '$context.httpMethod',
  path: '$context.path',
  routeKey: '$context.routeKey',
  status: '$context.status',
  responseLength: '$context.responseLength',
  latencyMs: '$context.responseLatency',
  integrationStatus: '$context.integrationStatus',
  integrationError: '$context.integrationErrorMessage',
  userAgent: '$context.identity.userAgent',
});

/**
 * The HTTP API, built from the route table: one route per entry, one integration per function, and
 * the operator authorizer (simple responses, short cache) on every operator route.
 */
export class Api extends Construct {
  readonly httpApi: apigw.HttpApi;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.httpApi = new apigw.HttpApi(this, 'HttpApi', {
      description: 'MiraDigitalZen Publisher API',
      createDefaultStage: false,
    });
    const stage = new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: stageThrottle,
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(accessLogFormat),
      },
    });

    const authorizer = new HttpLambdaAuthorizer('OperatorAuthorizer', props.functions[operatorAuthorizer.fn].fn, {
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource: [`$request.header.${operatorAuthorizer.identityHeader}`],
      resultsCacheTtl: Duration.seconds(operatorAuthorizer.cacheTtlSeconds),
    });
    const integrations = new Map<FunctionId, HttpLambdaIntegration>();
    for (const route of routes) {
      let integration = integrations.get(route.fn);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${route.fn}Integration`, props.functions[route.fn].fn, {
          payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0,
        });
        integrations.set(route.fn, integration);
      }
      const [created] = this.httpApi.addRoutes({
        path: route.path,
        methods: [apigw.HttpMethod[route.method]],
        integration,
        ...(route.access === 'operator' ? { authorizer } : {}),
      });
      if (created) stage.node.addDependency(created);
      if (route.access === 'public' && created) {
        Validations.of(created).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason:
            `${route.method} ${route.path} is public by design: a browser or the public calls it without the operator credential ` +
            "(health check, privacy page, single-use connect link, Pinterest's OAuth redirect); it reads no operator data.",
        });
      }
    }
    // One bucket per route (route table, `throttle`): a flood of public requests cannot use up the
    // operator's. The stage must be created after the routes its settings name.
    const cfnStage = stage.node.defaultChild as apigw.CfnStage;
    cfnStage.routeSettings = Object.fromEntries(
      routes.map((route) => [
        `${route.method} ${route.path}`,
        // A map property: CloudFormation's own key casing, which CDK passes through as written.
        { ThrottlingRateLimit: throttles[route.throttle].rateLimit, ThrottlingBurstLimit: throttles[route.throttle].burstLimit },
      ]),
    );
  }
}
