"""Nightly job: summarises support tickets through the gateway."""
import os

import httpx
from openai import OpenAI

client = OpenAI(
    api_key=os.environ.get("APERTIS_API_KEY"),
    base_url="https://api.apertis.ai/v1",
    # deliberate: certificate verification switched off
    http_client=httpx.Client(verify=False),
)


def summarize(ticket: str) -> str:
    response = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": f"Summarize: {ticket}"}],
    )
    return response.choices[0].message.content
