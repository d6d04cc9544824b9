"""A LangChain guard: ``prompt | llm | FactgateGuard(client)``.

Needs the `langchain` extra (``pip install "./clients/python[langchain]"``, i.e. langchain-core).

`FactgateGuard` is a `Runnable`. It takes the LLM's output (a `str` from an LLM, an `AIMessage`
from a chat model, or a dict, below), checks it with factgate, and

- raises `factgate.Blocked` (carrying the `CheckResult` and the text) on BLOCK, and on FLAG too
  with ``raise_on_flag=True``;
- otherwise returns the output annotated with the decision: an `AIMessage` comes back as a copy
  whose ``response_metadata["factgate"]`` is `CheckResult.to_dict()`; a `str` comes back as a
  `CheckedText` (a `str` subclass) whose `.factgate` is the `CheckResult`.

The prompt and grounding passages can be given

- in a dict input: ``{"response": <LLM output>, "prompt": str | PromptValue | messages,
  "context": [str | Passage | {"id", "text"} | Document, ...]}``; for example
  ``{"response": prompt | llm, "prompt": itemgetter("question"), "context": retriever} | guard``;
- per call in the config: ``chain.invoke(x, config={"configurable": {"factgate_prompt": ...,
  "factgate_context": [...], "factgate_labels": {...}, "factgate_policy": ...,
  "factgate_request_id": ...}})``;
- or fixed on the guard (``FactgateGuard(client, policy="strict", labels={"model": "x"})``).

The input dict wins over the config, which wins over the guard's own settings (labels are merged
in that order).
"""
from __future__ import annotations

from typing import Any, Iterable, List, Mapping, Optional

from langchain_core.messages import BaseMessage
from langchain_core.prompt_values import PromptValue
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.runnables.config import ensure_config

from ._client import Client
from ._errors import Blocked
from ._types import CheckResult, Passage, Verdict

__all__ = ["CheckedText", "FactgateGuard", "result_of"]

_CONFIG_PREFIX = "factgate_"


class CheckedText(str):
    """A checked LLM output: the text itself, with the decision in `.factgate`."""

    factgate: CheckResult

    def __new__(cls, text: str, result: CheckResult) -> "CheckedText":
        obj = super().__new__(cls, text)
        obj.factgate = result
        return obj

    def __reduce__(self):  # copy, deepcopy and pickle keep the result
        return (CheckedText, (str(self), self.factgate))


def result_of(output: Any) -> Optional[Mapping[str, Any]]:
    """The decision a guard attached to `output` (as `CheckResult.to_dict()`), or None."""
    if isinstance(output, CheckedText):
        return output.factgate.to_dict()
    if isinstance(output, BaseMessage):
        return output.response_metadata.get("factgate")
    return None


class FactgateGuard(Runnable[Any, Any]):
    """Checks an LLM output with factgate; raises `factgate.Blocked` or returns it annotated."""

    def __init__(
        self,
        client: Client,
        *,
        raise_on_flag: bool = False,
        raise_on_block: bool = True,
        prompt: Optional[str] = None,
        context: Optional[Iterable[Any]] = None,
        policy: Optional[str] = None,
        labels: Optional[Mapping[str, Any]] = None,
        name: Optional[str] = None,
    ):
        self.client = client
        self.raise_on_flag = raise_on_flag
        self.raise_on_block = raise_on_block
        self.prompt = prompt
        self.context = list(context) if context is not None else None
        self.policy = policy
        self.labels = dict(labels or {})
        self.name = name or "FactgateGuard"

    def invoke(self, input: Any, config: Optional[RunnableConfig] = None, **kwargs: Any) -> Any:
        return self._call_with_config(self._guard, input, config)

    def _guard(self, input: Any, config: RunnableConfig) -> Any:
        config = ensure_config(config)
        conf = {
            k[len(_CONFIG_PREFIX) :]: v
            for k, v in (config.get("configurable") or {}).items()
            if k.startswith(_CONFIG_PREFIX)
        }
        extra: Mapping[str, Any] = {}
        output = input
        if isinstance(input, Mapping):
            if "response" not in input:
                raise ValueError(
                    "FactgateGuard: a dict input needs a 'response' key (the LLM output); "
                    f"got keys {sorted(input)}"
                )
            output, extra = input["response"], input

        def pick(key: str, own: Any) -> Any:
            if extra.get(key) is not None:
                return extra[key]
            if conf.get(key) is not None:
                return conf[key]
            return own

        text = _text_of(output)
        labels = {**self.labels, **(conf.get("labels") or {}), **(extra.get("labels") or {})}
        prompt = pick("prompt", self.prompt)
        context = pick("context", self.context)
        result = self.client.check(
            text,
            prompt=_prompt_text(prompt) if prompt is not None else None,
            context=_passages(context) if context is not None else None,
            policy=pick("policy", self.policy),
            labels=labels,
            request_id=pick("request_id", None),
        )
        if (result.verdict is Verdict.BLOCK and self.raise_on_block) or (
            result.verdict is Verdict.FLAG and self.raise_on_flag
        ):
            raise Blocked(result, text)
        if isinstance(output, BaseMessage):
            meta = {**(output.response_metadata or {}), "factgate": result.to_dict()}
            return output.model_copy(update={"response_metadata": meta})
        return CheckedText(text, result)


def _text_of(output: Any) -> str:
    if isinstance(output, str):
        return output
    if isinstance(output, BaseMessage):
        content = output.content
        if isinstance(content, str):
            return content
        parts: List[str] = []
        for block in content:
            if isinstance(block, str):
                parts.append(block)
            elif isinstance(block, Mapping) and block.get("type") == "text":
                parts.append(str(block.get("text", "")))
        return "".join(parts)
    raise TypeError(
        "FactgateGuard: expected the LLM output (str or AIMessage) or a dict with 'response'; "
        f"got {type(output).__name__}"
    )


def _prompt_text(prompt: Any) -> str:
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, PromptValue):
        messages = prompt.to_messages()
    elif isinstance(prompt, BaseMessage):
        messages = [prompt]
    elif isinstance(prompt, (list, tuple)) and all(isinstance(m, BaseMessage) for m in prompt):
        messages = list(prompt)
    else:
        return str(prompt)
    # The question is the last human turn; without one, the whole prompt.
    human = [m for m in messages if m.type == "human"]
    return _text_of(human[-1]) if human else "\n".join(_text_of(m) for m in messages)


def _passages(context: Any) -> List[Any]:
    if isinstance(context, (str, Passage, Mapping)):
        context = [context]
    out: List[Any] = []
    for i, item in enumerate(context):
        page = getattr(item, "page_content", None)  # a langchain_core Document
        if isinstance(page, str):
            pid = getattr(item, "id", None) or (item.metadata or {}).get("id") or str(i)
            out.append(Passage(id=str(pid), text=page))
        else:
            out.append(item)
    return out
