// The peer's echo: the Node.js twin of fixtures/src/bin/fixture-echo.rs with
// ECHO_ENDPOINT=env. Like it, it builds its management client per invocation
// from the environment and posts the body back to the sender's connection.
'use strict';

const {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} = require('@aws-sdk/client-apigatewaymanagementapi');

exports.echo = async (event) => {
  const { connectionId, eventType } = event.requestContext;
  if (eventType === 'MESSAGE') {
    const client = new ApiGatewayManagementApiClient({
      endpoint: process.env.MANAGEMENT_ENDPOINT,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' },
    });
    await client.send(
      new PostToConnectionCommand({ ConnectionId: connectionId, Data: event.body ?? '' }),
    );
  }
  return { statusCode: 200 };
};

exports.connect = async () => ({ statusCode: 200 });
