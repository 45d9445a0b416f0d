// Runs before each test file's modules load: Lambda-like environment, quiet logs.
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
// No EMF lines on stdout; the metrics tests turn them on and read them (test/support/metrics.ts).
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.AWS_REGION = 'us-east-1';
process.env.AWS_ACCOUNT_ID = '123456789012';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:ecr-deployer-deploy';
// The local DynamoDB (dynalite, test/support/dynamodb-global-setup.js) takes any credentials.
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
// Any AWS call no mock or local server answers goes to a closed port on 127.0.0.1, never to AWS
// (DynamoDB has its own endpoint, the local dynalite).
process.env.AWS_ENDPOINT_URL ??= 'http://127.0.0.1:9';
