"""`recipe lsp`: the language server, over stdio (pygls).

Diagnostics are `recipe lint`'s, published on open and on every change with the
project's config (the nearest `.recipelint.yaml` or `[tool.recipe-lint]` above the
document: select/ignore, `steps-per-epoch`, `model`). Hover, go-to-definition and
the list-marker quick fix come from `lsp.analysis`; this module only converts
between its text offsets and the protocol's 0-based UTF-16 positions.

A change is analysed in a worker thread, so the server goes on reading while it
runs; changes that arrive meanwhile only mark the document, and its latest text is
analysed next (the latest wins: a burst of keystrokes never queues work, and no
stale diagnostics are published).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from ..linter.config import ConfigError
from ..problems import Severity
from .analysis import Analysis, Settings, analyse
from .project import Projects

DOCS = "https://github.com/recipe-compiler/recipe-compiler/blob/main/docs/rules.md"
SEVERITY = {
    Severity.ERROR: lsp.DiagnosticSeverity.Error,
    Severity.WARNING: lsp.DiagnosticSeverity.Warning,
    Severity.INFO: lsp.DiagnosticSeverity.Information,
}


class RecipeServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "recipe-lsp",
            package_version("recipe-compiler"),
            text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental,
        )
        self.projects = Projects()
        self.analyses: dict[str, Analysis] = {}
        self.running: set[str] = set()  # documents a worker thread is analysing
        self.stale: set[str] = set()  # ...and that changed since it started

    def settings(self, uri: str) -> tuple[str, Settings]:
        """The document's path and the project settings it is checked with."""
        path = to_fs_path(uri) or uri
        try:
            return path, self.projects.settings(Path(path))
        except ConfigError as exc:
            self.window_show_message(
                lsp.ShowMessageParams(lsp.MessageType.Warning, f"recipe lsp: {exc}")
            )
            return path, Settings()

    def analysis(self, uri: str) -> Analysis:
        """The document's analysis at its current text (computed once a version)."""
        doc = self.workspace.get_text_document(uri)
        done = self.analyses.get(uri)
        if done is not None and done.text == doc.source:
            return done
        path, settings = self.settings(uri)
        done = analyse(doc.source, path, settings, done)
        self.analyses[uri] = done
        return done

    def changed(self, uri: str) -> None:
        """Analyse the document's latest text in a worker thread and publish it;
        while one runs, only mark the document (its latest text goes next)."""
        if uri in self.running:
            self.stale.add(uri)
            return
        doc = self.workspace.get_text_document(uri)
        text, version = doc.source, doc.version
        path, settings = self.settings(uri)
        self.running.add(uri)
        previous = self.analyses.get(uri)
        future = asyncio.get_running_loop().run_in_executor(
            self.thread_pool, analyse, text, path, settings, previous
        )
        future.add_done_callback(lambda f: self._analysed(uri, version, f))

    def _analysed(self, uri: str, version: int | None, future: Any) -> None:
        """On the server's loop: publish the analysis, unless the text moved on
        (then analyse the latest instead) or the document was closed."""
        self.running.discard(uri)
        if uri not in self.workspace.text_documents:
            self.stale.discard(uri)
            return
        if uri in self.stale:
            self.stale.discard(uri)
            self.changed(uri)
            return
        try:
            done = future.result()
        except Exception as exc:  # a bug of ours: said, as pygls says a handler's
            self.window_show_message(
                lsp.ShowMessageParams(
                    lsp.MessageType.Error,
                    f"recipe lsp: internal error: {type(exc).__name__}: {exc}",
                )
            )
            return
        self.analyses[uri] = done
        self.publish(uri, version)

    def publish(self, uri: str, version: int | None) -> None:
        a = self.analysis(uri)
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(
                uri=uri,
                version=version,
                diagnostics=[diagnostic(a, p) for p in a.problems],
            )
        )


def position(a: Analysis, offset: int) -> lsp.Position:
    line, column = a.position(offset)
    if a.narrow:  # no character takes two UTF-16 units: columns are code points
        return lsp.Position(line - 1, column - 1)
    start = a.offset(line, 1)
    return lsp.Position(line - 1, _utf16(a.text[start:offset]))


def offset(a: Analysis, pos: lsp.Position) -> int:
    start = a.offset(pos.line + 1, 1)
    end = a.offset(pos.line + 2, 1)
    units = 0
    for i, ch in enumerate(a.text[start:end]):
        if units >= pos.character:
            return start + i
        units += 2 if ord(ch) > 0xFFFF else 1
    return end


def _utf16(text: str) -> int:
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def span_range(a: Analysis, span: tuple[int, int]) -> lsp.Range:
    return lsp.Range(position(a, span[0]), position(a, span[1]))


@functools.cache
def _docs(code: str) -> lsp.CodeDescription:
    return lsp.CodeDescription(href=f"{DOCS}#{code.lower()}")


def diagnostic(a: Analysis, p: Any) -> lsp.Diagnostic:
    return lsp.Diagnostic(
        range=span_range(a, a.problem_span(p)),
        severity=SEVERITY[p.severity],
        code=p.code,
        code_description=_docs(p.code),
        source="recipe",
        message=p.message + (f"\nhint: {p.hint}" if p.hint else ""),
    )


def build() -> RecipeServer:
    server = RecipeServer()

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: RecipeServer, params: lsp.DidOpenTextDocumentParams) -> None:
        ls.publish(params.text_document.uri, params.text_document.version)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: RecipeServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.changed(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: RecipeServer, params: lsp.DidSaveTextDocumentParams) -> None:
        # a saved config or model file is read again, for every open document
        ls.projects.forget()
        ls.analyses.clear()
        for uri in list(ls.workspace.text_documents):
            ls.publish(uri, None)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: RecipeServer, params: lsp.DidCloseTextDocumentParams) -> None:
        ls.analyses.pop(params.text_document.uri, None)
        ls.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[])
        )

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(ls: RecipeServer, params: lsp.HoverParams) -> lsp.Hover | None:
        a = ls.analysis(params.text_document.uri)
        found = a.hover(offset(a, params.position))
        if found is None:
            return None
        return lsp.Hover(
            contents=lsp.MarkupContent(lsp.MarkupKind.Markdown, found.text),
            range=span_range(a, found.span),
        )

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    def definition(
        ls: RecipeServer, params: lsp.DefinitionParams
    ) -> lsp.Location | None:
        a = ls.analysis(params.text_document.uri)
        found = a.definition(offset(a, params.position))
        if found is None:
            return None
        return lsp.Location(params.text_document.uri, span_range(a, found.span))

    @server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]),
    )
    def code_action(
        ls: RecipeServer, params: lsp.CodeActionParams
    ) -> list[lsp.CodeAction]:
        uri = params.text_document.uri
        a = ls.analysis(uri)
        span = (offset(a, params.range.start), offset(a, params.range.end))
        out = []
        for fix in a.fixes(span):
            edits = [lsp.TextEdit(span_range(a, e.span), e.new_text) for e in fix.edits]
            out.append(
                lsp.CodeAction(
                    title=fix.title,
                    kind=lsp.CodeActionKind.QuickFix,
                    diagnostics=[
                        d for d in params.context.diagnostics if d.code == fix.code
                    ],
                    is_preferred=True,
                    edit=lsp.WorkspaceEdit(changes={uri: edits}),
                )
            )
        return out

    return server


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault("NM_DISABLE_ANALYTICS", "1")
    build().start_io()
