"""factgate.langchain.FactgateGuard in LangChain chains with LangChain's own fake LLMs."""
from __future__ import annotations

import asyncio
import copy
from operator import itemgetter

import pytest

pytest.importorskip("langchain_core")  # the `langchain` extra; make test always installs it

from langchain_core.documents import Document
from langchain_core.language_models.fake import FakeListLLM, FakeStreamingListLLM
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate, PromptTemplate
from langchain_core.runnables import Runnable

import factgate
from factgate import ClaimStatus, Verdict
from factgate.langchain import CheckedText, FactgateGuard, result_of

BERLIN = "The capital of France is Berlin."
PARIS = "Paris is the capital of France."
QUESTION = PromptTemplate.from_template("What is the capital of {country}?")
CHAT_QUESTION = ChatPromptTemplate.from_messages(
    [("system", "Answer in one sentence."), ("human", "What is the capital of {country}?")]
)


def test_guard_is_a_runnable(client):
    assert isinstance(FactgateGuard(client), Runnable)


def test_block_raises_with_the_result(client):
    chain = QUESTION | FakeListLLM(responses=[BERLIN]) | FactgateGuard(client)
    with pytest.raises(factgate.Blocked) as info:
        chain.invoke({"country": "France"})
    err = info.value
    assert isinstance(err, factgate.FactgateError)
    assert err.verdict is Verdict.BLOCK and err.text == BERLIN
    assert err.result.claims[0].status is ClaimStatus.CONTRADICTED
    assert "CONTRADICTED_CLAIM" in str(err)


def test_allow_passes_a_chat_message_through_annotated(client):
    chain = CHAT_QUESTION | FakeListChatModel(responses=[PARIS]) | FactgateGuard(client)
    out = chain.invoke({"country": "France"})
    assert isinstance(out, AIMessage)
    assert out.content == PARIS
    meta = out.response_metadata["factgate"]
    assert meta["verdict"] == "ALLOW"
    assert meta["claims"][0]["status"] == "SUPPORTED"
    assert meta["audit_id"]
    assert result_of(out) == meta


def test_allow_passes_text_through_annotated(client):
    chain = QUESTION | FakeListLLM(responses=[PARIS]) | FactgateGuard(client)
    out = chain.invoke({"country": "France"})
    assert out == PARIS
    assert isinstance(out, CheckedText) and isinstance(out, str)
    assert out.factgate.verdict is Verdict.ALLOW
    assert result_of(out)["verdict"] == "ALLOW"
    copied = copy.deepcopy(out)
    assert copied == PARIS and copied.factgate == out.factgate
    # Downstream steps see plain text.
    assert (chain | StrOutputParser()).invoke({"country": "France"}) == PARIS


def test_chat_message_block_raises(client):
    chain = CHAT_QUESTION | FakeListChatModel(responses=[BERLIN]) | FactgateGuard(client)
    with pytest.raises(factgate.Blocked):
        chain.invoke({"country": "France"})


def test_annotate_instead_of_raising(client):
    guard = FactgateGuard(client, raise_on_block=False)
    out = (FakeListChatModel(responses=[BERLIN]) | guard).invoke("question")
    assert out.response_metadata["factgate"]["verdict"] == "BLOCK"


def test_prompt_context_labels_from_dict_input_and_config(client, server):
    """The dict form carries prompt and context; the config carries request id and labels."""
    docs = [Document(page_content="Refunds are issued within 5 business days.", id="refunds")]
    question = PromptTemplate.from_template("{question}")
    llm = FakeListLLM(responses=["Refunds are issued within 5 business days."])
    chain = {
        "response": question | llm,
        "prompt": question,
        "context": itemgetter("docs"),
    } | FactgateGuard(client, raise_on_block=False, labels={"model": "fake"})
    out = chain.invoke(
        {"question": "How long do refunds take?", "docs": docs},
        config={"configurable": {"factgate_request_id": "lc-1", "factgate_labels": {"route": "t"}}},
    )
    assert out.factgate.request_id == "lc-1"
    (claim,) = out.factgate.claims
    assert claim.status is ClaimStatus.SUPPORTED, claim
    assert any(e.source == "context" and e.passage_id == "refunds" for e in claim.evidence)
    assert server.audit_record("lc-1")["labels"] == {"model": "fake", "route": "t"}


def test_dict_input_needs_a_response(client):
    with pytest.raises(ValueError, match="response"):
        FactgateGuard(client).invoke({"output": PARIS})


def test_bad_request_surfaces_as_factgate_error(client):
    chain = FakeListLLM(responses=[PARIS]) | FactgateGuard(client, policy="no-such-profile")
    with pytest.raises(factgate.InvalidArgument):
        chain.invoke("q")


def test_flag_raises_only_when_asked(client):
    # Brazil's population is not in the fixture graph: unverifiable, which the strict profile
    # flags (the default one allows it).
    text = "Brazil has 500 million inhabitants."
    r = client.check(text, policy="strict")
    assert r.verdict is Verdict.FLAG, r
    assert r.claims[0].status is ClaimStatus.UNVERIFIABLE
    out = FactgateGuard(client, policy="strict").invoke(text)
    assert out == text and out.factgate.verdict is Verdict.FLAG
    with pytest.raises(factgate.Blocked) as info:
        FactgateGuard(client, policy="strict", raise_on_flag=True).invoke(text)
    assert info.value.verdict is Verdict.FLAG


def test_stream_and_async(client):
    llm = FakeStreamingListLLM(responses=[PARIS])
    chain = QUESTION | llm | FactgateGuard(client)
    pieces = list(chain.stream({"country": "France"}))
    assert len(pieces) == 1 and pieces[0] == PARIS  # the guard releases only checked text
    assert pieces[0].factgate.verdict is Verdict.ALLOW
    chat = CHAT_QUESTION | FakeListChatModel(responses=[PARIS]) | FactgateGuard(client)
    (msg,) = list(chat.stream({"country": "France"}))  # the chunks, joined, checked once
    assert msg.content == PARIS and msg.response_metadata["factgate"]["verdict"] == "ALLOW"

    async def run():
        return await (QUESTION | FakeListLLM(responses=[BERLIN]) | FactgateGuard(client)).ainvoke(
            {"country": "France"}
        )

    with pytest.raises(factgate.Blocked):
        asyncio.run(run())
