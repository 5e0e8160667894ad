"""The baseline for ``benchmarks/run.py``: a minimal ask-sdk-core hello-world skill, shaped like
``lambda/lambda_function.py`` so that both are measured the same way.

- With ``TABLE_NAME`` set it uses the SDK's own ``ask_sdk_dynamodb.adapter.DynamoDbAdapter`` with its own boto3
  resource (region from ``AWS_REGION`` / ``AWS_DEFAULT_REGION``), imported only then, as our skill does.
- It answers a LaunchRequest with one sentence, after reading the persistent attributes and saving them back
  (a visit counter): one DynamoDB get and one put per launch.
- Built once per process at import, like a Lambda container; ``lambda_handler`` is the SDK's standard one.
"""

from __future__ import annotations

import os
from typing import Any

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.skill_builder import CustomSkillBuilder
from ask_sdk_core.utils import is_request_type
from ask_sdk_model import Response

SENTENCE = "Hello from the baseline skill."


def _adapter_from_env() -> Any:
    table_name = os.environ.get("TABLE_NAME", "").strip()
    if not table_name:
        return None
    import boto3

    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    os.environ.setdefault("AWS_DEFAULT_REGION", region or "")
    from ask_sdk_dynamodb.adapter import DynamoDbAdapter  # its default argument builds a resource: needs a region

    return DynamoDbAdapter(
        table_name=table_name,
        partition_key_name="id",
        attribute_name="attributes",
        create_table=False,
        dynamodb_resource=boto3.resource("dynamodb", region_name=region),
    )


class LaunchHandler(AbstractRequestHandler):
    def __init__(self, persist: bool) -> None:
        self.persist = persist

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_request_type("LaunchRequest")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        if self.persist:
            manager = handler_input.attributes_manager
            attributes = manager.persistent_attributes
            attributes["visits"] = int(attributes.get("visits", 0)) + 1
            manager.save_persistent_attributes()
        return handler_input.response_builder.speak(SENTENCE).set_should_end_session(False).response


_adapter = _adapter_from_env()
_builder = CustomSkillBuilder(persistence_adapter=_adapter)
_builder.add_request_handler(LaunchHandler(persist=_adapter is not None))
lambda_handler = _builder.lambda_handler()
