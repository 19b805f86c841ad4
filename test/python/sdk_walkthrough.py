"""The seed's walkthrough and the SDK's helpers through openai-python, against our server.

Run by test/python-sdk.test.ts with the project's .venv (scripts/setup-venv.mjs pins the
release). Environment: ASSISTANTS_URL (our API), and the scripted model server's (scripted.py).
Each check asserts; any failure exits non-zero with a traceback.
"""

import json
import os
import time
import warnings

import openai
from openai import AssistantEventHandler, OpenAI
from scripted import new_model, scripted
from typing_extensions import override

# Every Assistants method is marked deprecated in the SDK; the warnings would bury the output.
warnings.filterwarnings("ignore", category=DeprecationWarning)

API_URL = os.environ["ASSISTANTS_URL"].rstrip("/") + "/v1"

INSTRUCTIONS = "You are a weather bot. Use the provided functions to answer questions."
QUESTION = "What's the weather in San Francisco?"
ANSWER = "It is 68 degrees Fahrenheit in San Francisco."
WEATHER = '{"temperature": 68, "unit": "F"}'
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "getCurrentWeather",
        "description": "Get the weather in location",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {"type": "string", "description": "The city and state e.g. San Francisco, CA"},
                "unit": {"type": "string"},
            },
            "required": ["location"],
        },
    },
}

client = OpenAI(base_url=API_URL, api_key="EMPTY", max_retries=0)


def weather_thread():
    """The weather bot on a fresh model scripted to call the tool once and then answer, and a thread asking it."""
    model = scripted({"toolCalls": [{"name": "getCurrentWeather", "arguments": {"location": "San Francisco, CA"}}]}, {"text": ANSWER})
    assistant = client.beta.assistants.create(instructions=INSTRUCTIONS, model=model, name="Weather Bot", tools=[WEATHER_TOOL])
    thread = client.beta.threads.create()
    client.beta.threads.messages.create(thread_id=thread.id, role="user", content=QUESTION)
    return assistant, thread


def weather_call(run):
    """The one tool call the run waits on, checked to be the scripted getCurrentWeather call."""
    assert run.status == "requires_action", run.status
    calls = run.required_action.submit_tool_outputs.tool_calls
    assert len(calls) == 1, calls
    assert calls[0].function.name == "getCurrentWeather", calls[0]
    assert json.loads(calls[0].function.arguments) == {"location": "San Francisco, CA"}, calls[0]
    return calls[0]


def first_text(thread_id):
    message = client.beta.threads.messages.list(thread_id=thread_id).data[0]
    assert message.role == "assistant", message
    return message.content[0].text.value


def polling_helpers():
    assistant, thread = weather_thread()
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id, poll_interval_ms=100)
    call = weather_call(run)
    run = client.beta.threads.runs.submit_tool_outputs_and_poll(
        thread_id=thread.id, run_id=run.id, tool_outputs=[{"tool_call_id": call.id, "output": WEATHER}], poll_interval_ms=100
    )
    assert run.status == "completed", run.status
    assert first_text(thread.id) == ANSWER


class Recorder(AssistantEventHandler):
    """Keeps what the SDK reports: the tool calls it saw created and the text deltas."""

    def __init__(self):
        super().__init__()
        self.tool_calls = []
        self.deltas = []
        self.snapshot = None

    @override
    def on_tool_call_created(self, tool_call):
        self.tool_calls.append((tool_call.type, tool_call.id))

    @override
    def on_text_delta(self, delta, snapshot):
        self.deltas.append(delta.value)
        self.snapshot = snapshot.value


def streaming():
    assistant, thread = weather_thread()
    first = Recorder()
    with client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id, event_handler=first) as stream:
        stream.until_done()
    run = first.get_final_run()
    call = weather_call(run)
    assert first.tool_calls == [("function", call.id)], first.tool_calls

    answer = Recorder()
    with client.beta.threads.runs.submit_tool_outputs_stream(
        thread_id=thread.id, run_id=run.id, tool_outputs=[{"tool_call_id": call.id, "output": WEATHER}], event_handler=answer
    ) as stream:
        stream.until_done()
    final = answer.get_final_run()
    assert (final.id, final.status) == (run.id, "completed"), final
    assert len(answer.deltas) > 1 and "".join(answer.deltas) == ANSWER, answer.deltas
    assert answer.snapshot == ANSWER, answer.snapshot
    assert [m.content[0].text.value for m in answer.get_final_messages()] == [ANSWER]


def auto_pagination():
    model = new_model()  # never run, so never scripted
    ours = [client.beta.assistants.create(model=model, name=f"page {i}").id for i in range(23)]
    first_page = client.beta.assistants.list(limit=5)
    assert len(first_page.data) == 5 and first_page.has_next_page(), first_page
    wanted, seen = set(ours), []
    # Other tests create assistants too: stop once all of ours (the newest, listed first) went by.
    for assistant in client.beta.assistants.list(limit=5):
        if assistant.id in wanted:
            seen.append(assistant.id)
            if len(seen) == len(ours):
                break
    assert seen == list(reversed(ours)), seen
    for assistant_id in ours:
        assert client.beta.assistants.delete(assistant_id).deleted


def errors():
    try:
        client.beta.assistants.retrieve("asst_missing")
        raise AssertionError("retrieving a missing assistant succeeded")
    except openai.NotFoundError as e:
        assert e.status_code == 404, e.status_code
        assert e.body["type"] == "invalid_request_error", e.body
        assert "asst_missing" in e.body["message"], e.body

    try:
        client.beta.assistants.create(model=new_model(), name="x" * 257)
        raise AssertionError("a 257-character name was accepted")
    except openai.BadRequestError as e:
        assert e.status_code == 400, e.status_code
        assert (e.body["type"], e.body["param"], e.param) == ("invalid_request_error", "name", "name"), e.body


def vector_stores():
    store = client.vector_stores.create(name="python", metadata={"from": "python"})
    assert (store.object, store.status, store.file_counts.total) == ("vector_store", "completed", 0), store
    upload = client.vector_stores.files.upload_and_poll(
        vector_store_id=store.id,
        file=("notes.md", b"# Notes\n\nThe python marker is hazel-buoy-81."),
        attributes={"lang": "en", "year": 2024},
    )
    assert (upload.status, upload.last_error, upload.attributes) == ("completed", None, {"lang": "en", "year": 2024}), upload
    assert upload.chunking_strategy.type == "static" and upload.chunking_strategy.static.max_chunk_size_tokens == 800, upload
    batch = client.vector_stores.file_batches.upload_and_poll(
        store.id,
        files=[("a.txt", b"alpha file"), ("b.unknown", b"beta file")],
        chunking_strategy={"type": "static", "static": {"max_chunk_size_tokens": 100, "chunk_overlap_tokens": 20}},
    )
    assert (batch.object, batch.status) == ("vector_store.files_batch", "completed"), batch
    assert (batch.file_counts.completed, batch.file_counts.failed, batch.file_counts.total) == (1, 1, 2), batch
    failed = list(client.vector_stores.file_batches.list_files(batch.id, vector_store_id=store.id, filter="failed"))
    assert len(failed) == 1 and failed[0].last_error.code == "unsupported_file", failed
    text = "".join(part.text for part in client.vector_stores.files.content(upload.id, vector_store_id=store.id))
    assert "hazel-buoy-81" in text, text
    assert len(list(client.vector_stores.files.list(store.id, limit=1))) == 3
    try:
        client.vector_stores.files.retrieve("file-missing", vector_store_id=store.id)
        raise AssertionError("retrieving a missing vector-store file succeeded")
    except openai.NotFoundError as e:
        assert e.body["message"] == f"No file found with id 'file-missing' in vector store '{store.id}'.", e.body
    assert client.vector_stores.delete(store.id).deleted


for check in (polling_helpers, streaming, auto_pagination, errors, vector_stores):
    started = time.monotonic()
    check()
    print(f"ok {check.__name__} ({time.monotonic() - started:.1f} s)", flush=True)
print(f"openai-python {openai.__version__}: all checks passed")
