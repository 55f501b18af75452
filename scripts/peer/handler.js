// The peer's echo: the Node.js twin of exercise 02's solution. It posts the
// body back to the sender's connection with PostToConnection (AWS SDK v3).
//
// PEER_CLIENT=reuse (the fair peer): one client per process, made at load, as
// AWS advises and as the workshop's Lambdas do. PEER_CLIENT=per-invocation:
// a client built in every invocation (how the first comparison ran it).
'use strict';

const {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} = require('@aws-sdk/client-apigatewaymanagementapi');

const options = {
  endpoint: process.env.MANAGEMENT_ENDPOINT,
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' },
};
const reused =
  process.env.PEER_CLIENT === 'per-invocation' ? null : new ApiGatewayManagementApiClient(options);

exports.echo = async (event) => {
  const { connectionId, eventType } = event.requestContext;
  if (eventType === 'MESSAGE') {
    const client = reused ?? new ApiGatewayManagementApiClient(options);
    await client.send(
      new PostToConnectionCommand({ ConnectionId: connectionId, Data: event.body ?? '' }),
    );
  }
  return { statusCode: 200 };
};

exports.connect = async () => ({ statusCode: 200 });
