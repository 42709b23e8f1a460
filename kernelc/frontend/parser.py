"""The statement half of the parser and its entry points: statements, declarations and
preamble definitions, on top of `ExprParser`.

Rule: one `_parse_<rule>` method per grammar rule, its rule in a `# grammar:` comment
above it; every node's span runs from its first token to the end of its last.

Decisions lowering relies on:
* `goto`, labels, `switch`/`case`/`default` and `asm` become `ast.Unsupported`
  statements whose `reason` is the user-facing message; `struct`, `class`, `union`,
  `enum`, `namespace`, `new`, `this`... raise `UnsupportedFeatureError` at once.
* `typedef float real;` and `using real = float;` are resolved here (TypeSpec name
  'float') and leave no node (an `Empty` statement in a body); `using namespace x;` and
  `using x::y;` are ignored, since scoped names resolve by their last component anyway.
* In a `Decl`, `&` is `Declarator.is_ref` and `*` is `TypeSpec.is_pointer` (all
  declarators must agree); in a parameter or return type both are on the `TypeSpec`.
* A prototype (`float f(float);`) leaves no node; an unnamed parameter has name ''.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable

from kernelc.errors import KernelTypeError, SourceText, UnsupportedFeatureError
from kernelc.frontend import ast
from kernelc.frontend.exprparser import QUALIFIERS, UNSUPPORTED_KEYWORDS, ExprParser
from kernelc.frontend.lexer import Token, tokenize
from kernelc.frontend.preprocess import Preprocessor

_GOTO = "`goto` is not supported: WGSL and GLSL have no goto"
_LABEL = "labels are not supported: WGSL and GLSL have no goto"
_SWITCH = "`switch` is not supported: rewrite it as an if/else chain"
_ASM = "inline `asm` is not supported: PTX cannot run on WebGPU or WebGL"


def parse_block(
    source: SourceText,
    pp: Preprocessor | None = None,
    type_names: Iterable[str] = (),
    template_names: Iterable[str] = (),
    typedefs: dict[str, str] | None = None,
    implicit_semicolon: bool = True,
) -> ast.Block:
    """A statement list (`operation`, `loop_prep`, `after_loop`).

    CuPy pastes these sections before a `;`, so with `implicit_semicolon` the last
    statement may omit its `;`.
    """
    parser = Parser.for_source(source, pp, type_names, template_names, typedefs)
    parser.implicit_semicolon = implicit_semicolon
    return parser.run(parser._parse_block_items)


def parse_translation_unit(
    source: SourceText,
    pp: Preprocessor | None = None,
    type_names: set[str] | None = None,
    template_names: set[str] | None = None,
    typedefs: dict[str, str] | None = None,
) -> ast.TranslationUnit:
    """The preamble. Template function names and typedefs it declares are added to
    `template_names` and `typedefs` (when given), for the sections parsed after it."""
    names = set() if template_names is None else template_names
    parser = Parser.for_source(source, pp, type_names or (), names, typedefs)
    parser.template_names = names
    return parser.run(parser._parse_translation_unit)


def parse_expression(
    source: SourceText, pp: Preprocessor | None = None, type_names: Iterable[str] = ()
) -> ast.Expr:
    """One expression filling the whole text (ReductionKernel's map/reduce expressions)."""
    parser = Parser.for_source(source, pp, type_names, (), None)
    return parser.run(parser._parse_expression_only)


class Parser(ExprParser):
    """The whole C-subset parser: statements and top-level definitions."""

    @classmethod
    def for_source(
        cls,
        source: SourceText,
        pp: Preprocessor | None,
        type_names: Iterable[str],
        template_names: Iterable[str],
        typedefs: dict[str, str] | None,
    ) -> Parser:
        """Tokenize and preprocess `source` (with `pp`'s macros, or a fresh table)."""
        pp = Preprocessor() if pp is None else pp
        return cls(pp.process(tokenize(source)), type_names, template_names, typedefs)

    # ------------------------------------------------------------------ top level

    # grammar: translation_unit : external_declaration* EOF
    def _parse_translation_unit(self) -> ast.TranslationUnit:
        start = self._peek()
        items: list[ast.FunctionDef | ast.Decl] = []
        while self._peek().kind != "EOF":
            item = self._parse_external_declaration()
            if item is not None:
                items.append(item)
        return ast.TranslationUnit(self._span(start), tuple(items))

    # grammar: external_declaration : ';' | typedef | using | template_prefix? function_or_decl
    def _parse_external_declaration(self) -> ast.FunctionDef | ast.Decl | None:
        tok = self._peek()
        if self._accept(";"):
            return None
        if tok.is_keyword("typedef") or tok.is_keyword("using"):
            self._parse_alias()
            return None
        if tok.kind == "KEYWORD" and tok.text in UNSUPPORTED_KEYWORDS - {"template"}:
            raise UnsupportedFeatureError(
                f"`{tok.text}` is not supported in kernel preambles", tok.span
            )
        template_params = self._parse_template_prefix() if tok.is_keyword("template") else ()
        saved_types = set(self.type_names)
        self.type_names.update(template_params)
        try:
            return self._parse_function_or_decl(tok, template_params)
        finally:
            self.type_names = saved_types

    # grammar: template_prefix : 'template' '<' ('typename' | 'class') NAME (',' ...)* '>'
    def _parse_template_prefix(self) -> tuple[str, ...]:
        self._advance()
        self._expect("<", "template parameter list")
        if self._at(">"):
            raise UnsupportedFeatureError(
                "template specialisations are not supported", self._peek().span
            )
        names: list[str] = []
        while True:
            kind = self._peek()
            if not (kind.is_keyword("typename") or kind.is_keyword("class")):
                raise UnsupportedFeatureError(
                    "only type template parameters (`typename T`) are supported", kind.span
                )
            self._advance()
            names.append(self._expect_name("parameter name", "template parameter list").text)
            if not self._accept(","):
                break
        self._expect_close_angle("template parameter list")
        return tuple(names)

    # grammar: function_or_decl : decl_specifiers ('*' | '&')? NAME '(' parameters ')' block
    #                           | decl_specifiers init_declarator_list ';'
    def _parse_function_or_decl(
        self, start: Token, template_params: tuple[str, ...]
    ) -> ast.FunctionDef | ast.Decl | None:
        type_, quals = self._parse_decl_specifiers(any_name=True)
        mark = self._mark()
        ptr, ref = self._accept("*"), self._accept("&")
        name = self._peek()
        if name.kind == "NAME" and self._at("(", 1):
            self._advance()
            ret = dataclasses.replace(type_, is_pointer=bool(ptr), is_ref=bool(ref))
            return self._parse_function_rest(start, ret, quals, name, template_params)
        if template_params:
            raise UnsupportedFeatureError("only functions can be templates", name.span)
        self._reset(mark)
        return self._parse_declaration_rest(start, type_, quals)

    def _parse_function_rest(
        self,
        start: Token,
        ret: ast.TypeSpec,
        quals: tuple[str, ...],
        name: Token,
        template_params: tuple[str, ...],
    ) -> ast.FunctionDef | None:
        params = self._parse_parameters()
        if template_params:
            self.template_names.add(name.text)
        if self._at(";"):  # a prototype: the definition follows or lowering reports it
            self._advance()
            return None
        if not self._at("{"):
            raise self._expected("'{'", "function body")
        body = self._parse_compound()
        return ast.FunctionDef(
            self._span(start),
            name.text,
            ret,
            params,
            body,
            template_params=template_params,
            qualifiers=quals,
            name_span=name.span,
        )

    # grammar: parameters : '(' ('void' | parameter (',' parameter)*)? ')'
    def _parse_parameters(self) -> tuple[ast.ParamDecl, ...]:
        self._expect("(", "parameter list")
        params: list[ast.ParamDecl] = []
        if self._at("void") and self._at(")", 1):
            self._advance()
        elif not self._at(")"):
            params.append(self._parse_parameter())
            while self._accept(","):
                params.append(self._parse_parameter())
        self._expect(")", "parameter list")
        return tuple(params)

    # grammar: parameter : decl_specifiers ('*' | '&')? NAME?
    def _parse_parameter(self) -> ast.ParamDecl:
        """An unnamed parameter (in a prototype, or unused) gets the name ''."""
        start = self._peek()
        type_, _ = self._parse_decl_specifiers(any_name=True)
        type_ = self._parse_abstract_declarator(type_)
        if self._at(",") or self._at(")"):
            return ast.ParamDecl(self._span(start), type_, "")
        name = self._expect_name("parameter name", "parameter list")
        if self._at("["):
            raise UnsupportedFeatureError(
                f"array parameter '{name.text}' is not supported: use a pointer", name.span
            )
        if self._at("="):
            raise UnsupportedFeatureError("default arguments are not supported", name.span)
        return ast.ParamDecl(self._span(start), type_, name.text)

    # grammar: alias : 'typedef' type_name NAME ';' | 'using' NAME '=' type_name ';'
    #                | 'using' 'namespace'? qualified_name ';'
    def _parse_alias(self) -> ast.Empty:
        start = self._advance()
        if start.text == "typedef":
            type_ = self._parse_type_name(any_name=True)
            name = self._expect_name("type name", "typedef")
        elif self._peek().kind == "NAME" and self._at("=", 1):
            name = self._advance()
            self._advance()
            type_ = self._parse_type_name(any_name=True)
        else:  # using-declarations and directives: scoped names resolve anyway
            self._accept("namespace")
            self._parse_qualified_name()
            self._expect(";", "using declaration")
            return ast.Empty(self._span(start))
        if type_.is_pointer or type_.is_ref or type_.template_args:
            raise UnsupportedFeatureError("only aliases of scalar types are supported", name.span)
        self._expect(";", start.text)
        self.typedefs[name.text] = type_.name
        return ast.Empty(self._span(start))

    # ------------------------------------------------------------------ statements

    # grammar: block_items : statement* EOF
    def _parse_block_items(self) -> ast.Block:
        start = self._peek()
        stmts: list[ast.Stmt] = []
        while self._peek().kind != "EOF":
            stmts.append(self._parse_statement())
        return ast.Block(self._span(start), tuple(stmts))

    # grammar: statement : compound | if | for | while | do_while | jump | unsupported
    #                    | alias | ';' | declaration | expression_statement
    def _parse_statement(self) -> ast.Stmt:
        self._enter("statements (blocks, if, for, while, do)")
        tok = self._peek()
        handler = _STATEMENT_KEYWORDS.get(tok.text) if tok.kind == "KEYWORD" else None
        if handler is not None:
            stmt = handler(self)
        elif tok.kind == "KEYWORD" and tok.text in UNSUPPORTED_KEYWORDS:
            raise UnsupportedFeatureError(f"`{tok.text}` is not supported in kernels", tok.span)
        elif tok.is_op("{"):
            stmt = self._parse_compound()
        elif tok.is_op(";"):
            stmt = ast.Empty(self._advance().span)
        elif tok.kind == "NAME" and self._at(":", 1):
            self.pos += 2
            stmt = ast.Unsupported(self._span(tok), "label", _LABEL)
        elif self._starts_declaration():
            stmt = self._parse_declaration()
        else:
            stmt = self._parse_expression_statement()
        self._leave()
        return stmt

    # grammar: compound : '{' statement* '}'
    def _parse_compound(self) -> ast.Block:
        start = self._expect("{", "block")
        stmts: list[ast.Stmt] = []
        while not self._at("}"):
            if self._peek().kind == "EOF":
                raise self._expected("'}'", "block")
            stmts.append(self._parse_statement())
        self._advance()
        return ast.Block(self._span(start), tuple(stmts))

    # grammar: expression_statement : expression ';'
    def _parse_expression_statement(self) -> ast.ExprStmt:
        start = self._peek()
        if start.kind == "NAME" and self._peek(1).kind == "NAME":
            # `name name ...` can only be a declaration with a type we do not know
            raise KernelTypeError(f"unknown type name '{start.text}'", start.span)
        expr = self._parse_expression()
        self._expect_semicolon("expression statement")
        return ast.ExprStmt(self._span(start), expr)

    # grammar: if : 'if' '(' expression ')' statement ('else' statement)?
    def _parse_if(self) -> ast.If:
        start = self._advance()
        cond = self._parse_condition("if statement")
        then = self._parse_statement()
        else_ = self._parse_statement() if self._accept("else") else None
        return ast.If(self._span(start), cond, then, else_)

    def _parse_condition(self, context: str) -> ast.Expr:
        self._expect("(", context)
        cond = self._parse_expression()
        self._expect(")", context)
        return cond

    # grammar: for : 'for' '(' (declaration | expression? ';') expression? ';' expression? ')'
    #                statement
    def _parse_for(self) -> ast.For:
        start = self._advance()
        self._expect("(", "for loop")
        init: ast.Stmt | None = None
        if not self._accept(";"):
            if self._starts_declaration():
                init = self._parse_declaration("for loop")
            else:
                init_start = self._peek()
                expr = self._parse_expression()
                self._expect(";", "for loop")
                init = ast.ExprStmt(self._span(init_start), expr)
        cond = None if self._at(";") else self._parse_expression()
        self._expect(";", "for loop")
        step = None if self._at(")") else self._parse_expression()
        self._expect(")", "for loop")
        body = self._parse_statement()
        return ast.For(self._span(start), init, cond, step, body)

    # grammar: while : 'while' '(' expression ')' statement
    def _parse_while(self) -> ast.While:
        start = self._advance()
        cond = self._parse_condition("while loop")
        body = self._parse_statement()
        return ast.While(self._span(start), cond, body)

    # grammar: do_while : 'do' statement 'while' '(' expression ')' ';'
    def _parse_do_while(self) -> ast.DoWhile:
        start = self._advance()
        body = self._parse_statement()
        self._expect("while", "do-while loop")
        cond = self._parse_condition("do-while loop")
        self._expect_semicolon("do-while loop")
        return ast.DoWhile(self._span(start), body, cond)

    # grammar: jump : 'break' ';' | 'continue' ';' | 'return' expression? ';'
    def _parse_jump(self) -> ast.Stmt:
        start = self._advance()
        value = None
        if start.text == "return" and not self._at(";") and not self._at_implicit_semicolon():
            value = self._parse_expression()
        self._expect_semicolon(f"{start.text} statement")
        span = self._span(start)
        if start.text == "return":
            return ast.Return(span, value)
        return ast.Break(span) if start.text == "break" else ast.Continue(span)

    # grammar: goto : 'goto' NAME ';'
    def _parse_goto(self) -> ast.Unsupported:
        start = self._advance()
        self._expect_name("label name", "goto statement")
        self._expect_semicolon("goto statement")
        return ast.Unsupported(self._span(start), "goto", _GOTO)

    # grammar: switch : 'switch' '(' expression ')' statement
    #        | 'case' conditional ':' | 'default' ':'
    def _parse_switch(self) -> ast.Unsupported:
        start = self._advance()
        if start.text == "switch":
            self._parse_condition("switch statement")
            self._parse_statement()
        else:
            if start.text == "case":
                self._parse_conditional()
            self._expect(":", f"{start.text} label")
        return ast.Unsupported(self._span(start), "switch", _SWITCH)

    # grammar: asm : ('asm' | '__asm__') NAME? '(' balanced_tokens ')' ';'
    def _parse_asm(self) -> ast.Unsupported:
        start = self._advance()
        if self._at("volatile") or self._peek().kind == "NAME":  # `asm __volatile__ (...)`
            self._advance()
        self._expect("(", "asm statement")
        depth = 1
        while depth:
            tok = self._advance()
            if tok.kind == "EOF":
                raise self._expected("')'", "asm statement")
            depth += tok.is_op("(") - tok.is_op(")")
        self._expect_semicolon("asm statement")
        return ast.Unsupported(self._span(start), "asm", _ASM)

    # ------------------------------------------------------------------ declarations

    def _starts_declaration(self) -> bool:
        tok = self._peek()
        if tok.kind == "KEYWORD" and (tok.text in QUALIFIERS or tok.text == "auto"):
            return True
        if not self._is_type_start():
            return False
        return not self._type_then("(")  # `T(x)` / `float(x)` is a functional cast

    # grammar: declaration : decl_specifiers init_declarator (',' init_declarator)* ';'
    def _parse_declaration(self, context: str = "variable declaration") -> ast.Decl:
        start = self._peek()
        type_, quals = self._parse_decl_specifiers()
        return self._parse_declaration_rest(start, type_, quals, context)

    def _parse_declaration_rest(
        self,
        start: Token,
        type_: ast.TypeSpec,
        quals: tuple[str, ...],
        context: str = "variable declaration",
    ) -> ast.Decl:
        declarators: list[ast.Declarator] = []
        pointers: list[bool] = []
        while True:
            is_pointer, declarator = self._parse_init_declarator(context)
            if pointers and is_pointer != pointers[0]:
                raise UnsupportedFeatureError(
                    "declaring pointers and non-pointers together is not supported",
                    declarator.span,
                )
            pointers.append(is_pointer)
            declarators.append(declarator)
            if not self._accept(","):
                break
        self._expect_semicolon(context)
        type_ = dataclasses.replace(type_, is_pointer=pointers[0])
        return ast.Decl(self._span(start), type_, tuple(declarators), quals)

    # grammar: init_declarator : ('*' | '&')? NAME ('[' expression? ']')?
    #                            ('=' initializer | '(' expression ')')?
    def _parse_init_declarator(self, context: str) -> tuple[bool, ast.Declarator]:
        start = self._peek()
        is_pointer = bool(self._accept("*"))
        if is_pointer and self._at("*"):
            raise UnsupportedFeatureError("pointers to pointers are not supported", start.span)
        self._parse_qualifiers()  # `float *__restrict__ p`
        is_ref = bool(self._accept("&"))
        name = self._expect_name("variable name", context)
        has_array, size = self._parse_array_suffix()
        init = None
        if self._accept("="):
            init = self._parse_initializer()
        elif not has_array and self._accept("("):  # direct initialisation `float x(1.0f)`
            init = self._parse_expression()
            self._expect(")", context)
        decl = ast.Declarator(self._span(start), name.text, init, has_array, size, is_ref)
        return is_pointer, decl

    def _parse_array_suffix(self) -> tuple[bool, ast.Expr | None]:
        if not self._accept("["):
            return False, None
        size = None if self._at("]") else self._parse_expression()
        self._expect("]", "array declaration")
        if self._at("["):
            raise UnsupportedFeatureError(
                "multi-dimensional arrays are not supported", self._peek().span
            )
        return True, size


_STATEMENT_KEYWORDS: dict[str, Callable[[Parser], ast.Stmt]] = {
    "if": Parser._parse_if,
    "for": Parser._parse_for,
    "while": Parser._parse_while,
    "do": Parser._parse_do_while,
    "break": Parser._parse_jump,
    "continue": Parser._parse_jump,
    "return": Parser._parse_jump,
    "goto": Parser._parse_goto,
    "switch": Parser._parse_switch,
    "case": Parser._parse_switch,
    "default": Parser._parse_switch,
    "asm": Parser._parse_asm,
    "__asm__": Parser._parse_asm,
    "typedef": Parser._parse_alias,
    "using": Parser._parse_alias,
}
