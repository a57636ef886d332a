import logging
import os

from openai import OpenAI

logger = logging.getLogger(__name__)

client = OpenAI(api_key=os.environ.get("APERTIS_API_KEY"), base_url="https://api.apertis.ai/v1")


def ask(model, prompt, token_count):
    logger.info(f"Request to model {model}, tokens: {token_count}")
    try:
        return client.chat.completions.create(model=model, messages=[{"role": "user", "content": prompt}])
    except Exception:
        logger.exception("gateway call failed")
        return {"error": "Internal server error"}
