"""The Responses and Conversations APIs through openai-python, against our server.

Run by test/python-sdk.test.ts with the project's .venv. Environment: ASSISTANTS_URL (our API),
and the scripted model server's (scripted.py). Each check asserts; any failure exits non-zero
with a traceback.
"""

import json
import os
import time

import openai
from openai import OpenAI
from scripted import new_model, scripted

client = OpenAI(base_url=os.environ["ASSISTANTS_URL"].rstrip("/") + "/v1", api_key="EMPTY", max_retries=0)

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    "strict": True,
}


def create_and_retrieve():
    model = scripted({"text": "Hello there!"})
    r = client.responses.create(model=model, input="Hi", instructions="Be brief.", metadata={"k": "v"})
    assert (r.object, r.status, r.output_text, r.metadata) == ("response", "completed", "Hello there!", {"k": "v"}), r
    assert r.id.startswith("resp_") and r.output[0].id.startswith("msg_"), r
    assert r.usage.total_tokens == r.usage.input_tokens + r.usage.output_tokens, r.usage
    again = client.responses.retrieve(r.id)
    assert (again.id, again.output_text) == (r.id, "Hello there!"), again
    items = client.responses.input_items.list(r.id)
    assert [(i.type, i.role, i.content[0].text) for i in items.data] == [("message", "user", "Hi")], items.data


def streaming():
    model = scripted({"text": "Streaming works fine.", "chunkSize": 5})
    types, deltas = [], []
    with client.responses.stream(model=model, input="stream please") as stream:
        for event in stream:
            types.append((event.type, event.sequence_number))
            if event.type == "response.output_text.delta":
                deltas.append(event.delta)
        final = stream.get_final_response()
    assert [n for _, n in types] == list(range(len(types))), types
    names = [t for i, (t, _) in enumerate(types) if t != "response.output_text.delta" or types[i - 1][0] != t]
    assert names == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ], names
    assert len(deltas) > 1 and "".join(deltas) == "Streaming works fine.", deltas
    assert (final.status, final.output_text) == ("completed", "Streaming works fine."), final


def function_calling():
    model = scripted({"toolCalls": [{"name": "get_weather", "arguments": {"city": "Paris"}}]}, {"text": "It is 18°C in Paris."})
    first = client.responses.create(model=model, input="Weather in Paris?", tools=[WEATHER])
    call = first.output[0]
    assert (call.type, call.name, json.loads(call.arguments), call.status) == ("function_call", "get_weather", {"city": "Paris"}, "completed"), call
    assert call.id.startswith("fc_"), call
    second = client.responses.create(
        model=model,
        previous_response_id=first.id,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": '{"temp": 18}'}],
        tools=[WEATHER],
    )
    assert (second.previous_response_id, second.output_text) == (first.id, "It is 18°C in Paris."), second


def conversations():
    conv = client.conversations.create(items=[{"type": "message", "role": "user", "content": "Hello"}], metadata={"topic": "demo"})
    assert conv.id.startswith("conv_") and conv.metadata == {"topic": "demo"}, conv
    assert client.conversations.retrieve(conv.id).id == conv.id
    assert client.conversations.update(conv.id, metadata={"topic": "moved"}).metadata == {"topic": "moved"}
    added = client.conversations.items.create(conv.id, items=[{"type": "message", "role": "user", "content": f"note {i}"} for i in range(3)])
    assert [i.content[0].text for i in added.data] == ["note 0", "note 1", "note 2"], added.data
    model = scripted({"text": "Noted."})
    r = client.responses.create(model=model, conversation=conv.id, input="Go on")
    assert (r.conversation.id, r.output_text) == (conv.id, "Noted."), r
    # Auto-pagination, two at a time, oldest first.
    texts = [i.content[0].text for i in client.conversations.items.list(conv.id, limit=2, order="asc")]
    assert texts == ["Hello", "note 0", "note 1", "note 2", "Go on", "Noted."], texts
    one = client.conversations.items.retrieve(added.data[0].id, conversation_id=conv.id)
    assert one.content[0].text == "note 0", one
    client.conversations.items.delete(added.data[0].id, conversation_id=conv.id)
    assert len(client.conversations.items.list(conv.id).data) == 5
    assert client.conversations.delete(conv.id).deleted
    try:
        client.conversations.retrieve(conv.id)
        raise AssertionError("a deleted conversation was found")
    except openai.NotFoundError as e:
        assert e.status_code == 404, e


def background():
    model = scripted({"text": "background answer", "chunkSize": 4, "delayMs": 20})
    r = client.responses.create(model=model, input="bg", background=True)
    assert (r.status, r.background) == ("queued", True), r
    deadline = time.monotonic() + 20
    while r.status in ("queued", "in_progress") and time.monotonic() < deadline:
        time.sleep(0.1)
        r = client.responses.retrieve(r.id)
    assert (r.status, r.output_text) == ("completed", "background answer"), r
    # Its stream is kept: retrieved again as a stream from the start.
    events = [e.type for e in client.responses.retrieve(r.id, stream=True, starting_after=-1)]
    assert events[0] == "response.created" and events[-1] == "response.completed", events


def code_interpreter():
    model = scripted({"toolCalls": [{"name": "code_interpreter", "arguments": {"code": "print(6 * 7)"}}]}, {"text": "42."})
    r = client.responses.create(
        model=model,
        input="6 times 7?",
        tools=[{"type": "code_interpreter", "container": {"type": "auto"}}],
        include=["code_interpreter_call.outputs"],
    )
    call = r.output[0]
    assert (call.type, call.status, call.code) == ("code_interpreter_call", "completed", "print(6 * 7)"), call
    assert call.id.startswith("ci_") and call.container_id.startswith("cntr_"), call
    assert [(o.type, o.logs) for o in call.outputs] == [("logs", "42\n")], call.outputs
    assert r.output_text == "42.", r


def errors():
    for kwargs, param in (
        ({"temperature": 3}, "temperature"),
        ({"tools": [{"type": "code_interpreter", "container": "cntr_x"}]}, "tools[0].container"),
        ({"previous_response_id": "abc"}, "previous_response_id"),
    ):
        try:
            client.responses.create(model=new_model(), input="x", **kwargs)
            raise AssertionError(f"{kwargs} was accepted")
        except openai.BadRequestError as e:
            assert (e.status_code, e.param, e.body["type"]) == (400, param, "invalid_request_error"), e.body
    try:
        client.responses.retrieve("resp_missing")
        raise AssertionError("retrieving a missing response succeeded")
    except openai.NotFoundError as e:
        assert e.status_code == 404 and "resp_missing" in e.body["message"], e.body


for check in (create_and_retrieve, streaming, function_calling, conversations, background, code_interpreter, errors):
    started = time.monotonic()
    check()
    print(f"ok {check.__name__} ({time.monotonic() - started:.1f} s)", flush=True)
print(f"openai-python {openai.__version__}: all Responses checks passed")
