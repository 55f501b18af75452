"""ministack on loopback, with the little it lacks to host a Serverless v3 WebSocket service.

Run by scripts/deploy-check with ministack's own settings in the environment
(GATEWAY_PORT, BIND_HOST=127.0.0.1, USE_SSL=1 with MINISTACK_SSL_CERT/KEY, TMPDIR).
Each patch below covers one gap between ministack and AWS, named above it, and
nothing else; the rest is ministack as published.
"""

import os

from ministack import app
from ministack.services import apigateway
from ministack.services.cloudformation import provisioners

PORT = os.environ["GATEWAY_PORT"]


# Gap 1: ministack's CloudFormation knows every resource type of a Serverless
# WebSocket stack but AWS::ApiGatewayV2::Deployment (the stage names one), and
# refuses the template. Provisioned here with ministack's own CreateDeployment
# and DeleteDeployment of API Gateway v2. Serverless names each deployment
# anew (its logical id carries a hash), so an update is a create and a delete.
def _deployment_create(logical_id, props, stack_name):
    api_id = props.get("ApiId", "")
    created = provisioners._apigw_v2_result(
        apigateway._create_deployment(api_id, {"description": props.get("Description", "")}),
        "AWS::ApiGatewayV2::Deployment create",
    )
    # Ref of a deployment is its id, as on AWS.
    return created["deploymentId"], {"DeploymentId": created["deploymentId"]}


def _deployment_delete(physical_id, props):
    apigateway._delete_deployment(props.get("ApiId", ""), physical_id)


provisioners._RESOURCE_HANDLERS["AWS::ApiGatewayV2::Deployment"] = {
    "create": _deployment_create,
    "delete": _deployment_delete,
}


# Gap 2: a Lambda reaches `@connections` at `https://{domainName}/{stage}`, the
# API's own host name on port 443 at AWS. ministack names it
# `{apiId}.execute-api.localhost`, without its port, and that name resolves
# nowhere but where the system maps every `*.localhost` to loopback. The
# events carry instead the address ministack answers at, with its path for
# that API (`/_aws/execute-api/{apiId}`), so the same URL reaches it.
_request_context = apigateway._ws_request_context


def _ws_request_context(api_id, *args, **kwargs):
    context = _request_context(api_id, *args, **kwargs)
    context["domainName"] = f"127.0.0.1:{PORT}/_aws/execute-api/{api_id}"
    return context


apigateway._ws_request_context = _ws_request_context


# Not a gap, a guard: with USE_SSL, ministack also takes port 443 when it can
# (for Cognito's issuer URLs). Nothing here needs it, and it belongs to the machine.
app._port_is_bindable = lambda host, port: False


if __name__ == "__main__":
    app.main()
