/** Imported first by `npm start` and the CLI: keeps the step Lambdas' JSON logs out of what a person reads. */
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
// Nor the deployment metrics' EMF lines (functions/metrics): outside Lambda no CloudWatch reads them.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export {};
