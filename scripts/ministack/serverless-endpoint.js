// Points Serverless Framework v3 at ministack: required into every Node.js
// process that scripts/deploy-check starts (NODE_OPTIONS=--require), and a
// no-op in any process without Serverless's AWS SDK (npm, say).
//
// Gap 3: Serverless v3 talks to AWS through the AWS SDK for JavaScript v2,
// which reads no endpoint from the environment (AWS_ENDPOINT_URL is for the
// other SDKs), so every one of its clients is given ministack's endpoint
// here, S3 by path (`https://127.0.0.1:PORT/bucket`, no bucket host names).
//
// Gap 4: the endpoint Serverless prints comes from the stack's output
// `wss://{apiId}.execute-api.{region}.amazonaws.com/{stage}`, a host name of
// AWS's own. ministack serves every API at its one address, under
// `/_aws/execute-api/{apiId}`: the output is read as that URL.
'use strict';

(() => {
  const path = require('node:path');
  const endpoint = process.env.DEPLOY_CHECK_ENDPOINT; // https://127.0.0.1:PORT
  if (!endpoint || !process.argv[1]) return;
  let sdk;
  try {
    // The very module Serverless loads (lib/aws/sdk-v2.js), found from its entry point.
    const from = { paths: [path.dirname(process.argv[1])] };
    require(require.resolve('aws-sdk/lib/maintenance_mode_message', from)).suppress = true;
    sdk = require(require.resolve('aws-sdk', from));
  } catch {
    return; // not Serverless
  }
  sdk.config.update({ endpoint, s3ForcePathStyle: true });

  const local = new URL(endpoint).host;
  const awsEndpoint = /^wss:\/\/([^./]+)\.execute-api\.[^/]+\.amazonaws\.com\/(.*)$/;
  sdk.events.on('success', (response) => {
    if (response.request.operation !== 'describeStacks') return;
    for (const stack of (response.data && response.data.Stacks) || []) {
      for (const output of stack.Outputs || []) {
        if (typeof output.OutputValue === 'string') {
          output.OutputValue = output.OutputValue.replace(awsEndpoint, `wss://${local}/_aws/execute-api/$1/$2`);
        }
      }
    }
  });
})();
