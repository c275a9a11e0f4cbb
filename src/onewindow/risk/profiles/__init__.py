"""Risk profiles (布控): officers' conditions on declaration items, written in a small safe language."""

from onewindow.risk.profiles.language import (
    Expression,
    FieldType,
    ProfileExpressionError,
    compile_expression,
    describe,
)

__all__ = ["Expression", "FieldType", "ProfileExpressionError", "compile_expression", "describe"]
