// Starts one real DynamoDB implementation (dynalite, in memory) on 127.0.0.1 for the
// whole test run. Test workers inherit AWS_ENDPOINT_URL_DYNAMODB, so the deployer's
// own DynamoDB client reaches it unchanged; each test creates fresh tables in it.
const dynalite = require('dynalite');

module.exports = async function startDynamoDb() {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  process.env.AWS_ENDPOINT_URL_DYNAMODB = `http://127.0.0.1:${server.address().port}`;
  globalThis.__ecrDeployerDynamoDb = server;
};
