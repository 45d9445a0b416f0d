/** Imported first by `npm start` and the CLI: keeps the step Lambdas' JSON logs out of what a person reads. */
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export {};
