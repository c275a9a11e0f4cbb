"""The refusals of the profile language: stable codes and messages in English and Chinese.

Every refusal is a ``ProfileExpressionError`` built by ``error`` from a key of ``MESSAGES``, so the
wording of each lives here once and the tokenizer, parser and compiler only name it.
"""

from __future__ import annotations

from typing import Final

from onewindow.kernel.errors import FieldError

__all__ = ["HINTS", "MESSAGES", "TYPE_NAMES", "ProfileExpressionError", "error"]

# The types of the language (the field types and the list literals), in English and in Chinese.
TYPE_NAMES: Final = {
    "text": ("text", "文本"),
    "number": ("a number", "数值"),
    "boolean": ("true/false", "布尔值（真/假）"),
    "text_list": ("a list of text", "文本列表"),
    "number_list": ("a list of numbers", "数值列表"),
    "empty_list": ("an empty list", "空列表"),
}

# key -> (code, English, Chinese); the ``{...}`` are filled in where the error is raised.
MESSAGES: Final = {
    "empty": ("syntax", "The condition is empty.", "条件为空。"),
    "ends_early": (
        "syntax",
        "The condition ends too early; something is missing.",
        "条件不完整，末尾缺少内容。",
    ),
    "unexpected": ("syntax", "Unexpected {x}.", "此处不应出现 {x}。"),
    "character": ("syntax", "Unexpected character '{x}'.", "此处不应出现字符“{x}”。"),
    "unclosed": (
        "syntax",
        "The '{x}' at position {at} is never closed.",
        "第 {at} 个字符处的“{x}”没有闭合。",
    ),
    "unopened": ("syntax", "'{x}' closes nothing that was opened.", "“{x}”没有对应的左括号。"),
    "single_equals": ("syntax", "A single '=' does not compare; write '=='.", "单个“=”不是比较，请写“==”。"),
    "unclosed_quote": ("syntax", "This quote is never closed.", "此处的引号没有闭合。"),
    "escape": (
        "syntax",
        "Unknown escape; inside quotes write \\\\ \\\" \\' \\n or \\t.",
        "未知的转义序列；引号内只能使用 \\\\ \\\" \\' \\n 或 \\t。",
    ),
    "number": (
        "syntax",
        "Malformed number; write numbers as 30 or 12.5 (no exponent, hexadecimal or underscore).",
        "数字格式错误；请写作 30 或 12.5（不支持指数、十六进制或下划线）。",
    ),
    "number_too_large": ("syntax", "This number is too large.", "此数字过大。"),
    "text_too_long": (
        "too_long",
        "A condition is limited to {limit} characters; this has {n}.",
        "条件最多 {limit} 个字符，此处有 {n} 个。",
    ),
    "literal_too_long": (
        "too_long",
        "Text in quotes is limited to {limit} characters; this has {n}.",
        "引号内文本最多 {limit} 个字符，此处有 {n} 个。",
    ),
    "list_too_long": ("too_long", "A list is limited to {limit} entries.", "列表最多 {limit} 项。"),
    "too_deep": (
        "too_deep",
        "The condition nests deeper than {limit} levels; simplify it.",
        "条件嵌套超过 {limit} 层，请简化。",
    ),
    "string_prefix": (
        "forbidden",
        'Prefixed text such as {x}"..." (f-strings, bytes, raw text) is not allowed.',
        '不允许使用带前缀的字符串（如 {x}"..."，包括 f-string）。',
    ),
    "attribute": ("forbidden", "Attribute access ('.') is not allowed.", "不允许访问属性（“.”）。"),
    "walrus": ("forbidden", "Assignment (':=') is not allowed.", "不允许赋值（“:=”）。"),
    "braces": (
        "forbidden",
        'Dictionaries and sets are not allowed; write a list: ["BR", "AR"].',
        '不允许使用字典或集合，请写成列表：["BR", "AR"]。',
    ),
    "operator": (
        "forbidden",
        "The operator '{x}' is not part of the language; use + - * /.",
        "不支持运算符“{x}”，可用 + - * /。",
    ),
    "subscript": ("forbidden", "Subscripts ('x[...]') are not allowed.", "不允许使用下标（x[...]）。"),
    "call": ("forbidden", "Only the functions {functions} can be called.", "只能调用以下函数：{functions}。"),
    "unknown_function": (
        "forbidden",
        "'{x}' cannot be called; the functions are {functions}.{hint}",
        "不能调用“{x}”；可用函数：{functions}。{hint_zh}",
    ),
    "empty_parentheses": (
        "forbidden",
        "Empty parentheses (a tuple) are not allowed.",
        "不允许使用空括号（元组）。",
    ),
    "tuple": (
        "forbidden",
        'Tuples are not allowed; write a list: ["BR", "AR"].',
        '不允许使用元组，请写成列表：["BR", "AR"]。',
    ),
    "list_item": (
        "forbidden",
        "A list holds only text in quotes or numbers.",
        "列表只能包含引号内的文本或数字。",
    ),
    "starred": ("forbidden", "Starred arguments are not allowed.", "不允许使用星号参数。"),
    "keyword_argument": ("forbidden", "Keyword arguments are not allowed.", "不允许使用关键字参数。"),
    "lambda": ("forbidden", "Functions cannot be defined ('lambda').", "不允许定义函数（lambda）。"),
    "for": (
        "forbidden",
        'Comprehensions (\'for\') are not allowed; list the values: ["BR", "AR"].',
        '不允许使用推导式（for），请直接列出取值：["BR", "AR"]。',
    ),
    "if": (
        "forbidden",
        "Conditional expressions ('if ... else') are not allowed; combine conditions with and/or.",
        "不允许使用条件表达式（if ... else），请用 and/or 组合条件。",
    ),
    "is": ("forbidden", "'is' is not allowed; compare with == or !=.", "不允许使用 is，请用 == 或 != 比较。"),
    "None": (
        "forbidden",
        "'None' is not a value here; a missing value already makes a comparison false.",
        "此处不能使用 None；缺失的取值本身就使比较结果为假。",
    ),
    "keyword": (
        "forbidden",
        "'{x}' is a Python keyword that the profile language does not allow.",
        "“{x}”是 Python 关键字，布控条件语言不允许使用。",
    ),
    "unknown_field": (
        "unknown_field",
        "Unknown field '{x}'. Did you mean {close}?",
        "未知字段“{x}”。您是否指 {close}？",
    ),
    "unknown_field_listed": (
        "unknown_field",
        "Unknown field '{x}'. The fields are: {known}.",
        "未知字段“{x}”。可用字段：{known}。",
    ),
    "expected": (
        "type_mismatch",
        "Expected {want} here, found {found}.",
        "此处应为{want_zh}，实际为{found_zh}。",
    ),
    "compare": (
        "type_mismatch",
        "'{x}' cannot compare {left} with {right}.{hint}",
        "“{x}”不能比较{left_zh}与{right_zh}。{hint_zh}",
    ),
    "mixed_list": (
        "type_mismatch",
        "A list holds either text or numbers, all of one kind.",
        "列表的各项须同为文本或同为数值。",
    ),
    "not_a_condition": (
        "type_mismatch",
        "A condition must be true or false, but this is {found}; compare it, e.g. value_cny > 10000.",
        "条件的结果须为真或假，此处却是{found_zh}；请加比较，如 value_cny > 10000。",
    ),
    "prefix_number": (
        "type_mismatch",
        "Put {x} in quotes: codes are text. Write {usage}.",
        "请给 {x} 加引号：编码是文本。请写作 {usage}。",
    ),
    "arguments": ("bad_argument", "Write {usage}.", "请写作 {usage}。"),
    "text_argument": (
        "bad_argument",
        "Write text in quotes here: {usage}.",
        "此处须为引号内的文本：{usage}。",
    ),
}

# What to add to a failed comparison, by the kind of failure.
HINTS: Final = {
    "contains": (
        ' To look for text inside text write contains(field, "part").',
        '要在文本中查找文字，请写 contains(字段, "文字")。',
    ),
    "list": (
        ' The right side of in must be a list such as ["BR", "AR"].',
        'in 的右侧须为列表，如 ["BR", "AR"]。',
    ),
    "order": (" Ordering compares numbers only.", "大小比较只适用于数值。"),
    "quotes": (' Codes are text: put them in quotes, e.g. "0201".', '编码是文本，请加引号，如 "0201"。'),
    "": ("", ""),
}


class ProfileExpressionError(ValueError):
    """A condition that does not compile: where (1-based character position), a stable code, and why."""

    def __init__(self, code: str, position: int, message: str, message_zh: str) -> None:
        super().__init__(f"{code} at position {position}: {message}")
        self.code = code
        self.position = position
        self.message = message
        self.message_zh = message_zh

    def as_field_error(self, path: str) -> FieldError:
        """This error as one FieldError of an ``InvalidInput``, for an API that stores profiles."""
        return FieldError(
            path,
            f"expression_{self.code}",
            f"At position {self.position}: {self.message}",
            f"第 {self.position} 个字符处：{self.message_zh}",
        )


def error(key: str, offset: int, **details: object) -> ProfileExpressionError:
    code, en, zh = MESSAGES[key]
    return ProfileExpressionError(code, offset + 1, en.format(**details), zh.format(**details))
