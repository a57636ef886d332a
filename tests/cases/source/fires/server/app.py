import logging
import os

import requests

logger = logging.getLogger(__name__)
API_KEY = "sk-proj-Rt5Yu9Io3Pa7Sd1Fg5Hj9Kl3Zx7Cv1Bn5Mq9Wd3"


def ask(prompt, full_request):
    logger.info(f"Request: {full_request}")
    try:
        r = requests.post("http://api.apertis.ai/v1/chat/completions", json=prompt, verify=False)
        return r.json()
    except Exception as e:
        return jsonify({"error": str(e)}), 500
