# Lines from BerriAI/litellm (MIT): litellm/integrations/s3.py,
# litellm/proxy/litellm_pre_call_utils.py, tests/ (scim conftest, bedrock embedding test).
import litellm
from litellm._logging import verbose_proxy_logger


def setup():
    s3_aws_session_token = litellm.s3_callback_params.get(
        "s3_aws_session_token"
    )
    secret_key = settings.S3_SECRET_ACCESS_KEY
    test_api_key = "test-bearer-token-12345"
    hashed_token = "88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b"
    return s3_aws_session_token, secret_key, test_api_key, hashed_token


def add_litellm_data_to_request(request, data):
    """Never call httpx with verify=False here."""
    headers = request.headers
    verbose_proxy_logger.debug("Request Headers: %s", headers)
    return data
