module.exports = async function stopDynamoDb() {
  const server = globalThis.__ecrDeployerDynamoDb;
  if (server) await new Promise((resolve) => server.close(resolve));
};
