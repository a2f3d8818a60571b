import pytest
from django.utils import translation

from clientela.web.templatetags.clientela import significant


@pytest.mark.parametrize(
    ("language", "value", "digits", "shown"),
    [
        ("en", 0.24264, 4, "0.2426"),
        ("en", 4.41349, 4, "4.413"),
        ("en", 42480142.278, 4, "4.248E7"),
        ("en", 0.00001851, 4, "1.851E-5"),
        ("en", 0.0123456, 2, "0.012"),
        ("en", 0, 4, "0"),
        ("es", 0.24264, 4, "0.2426"),  # Spanish in Mexico, the business's country
        ("es", 110156320705.94, 4, "1.102E11"),
        ("ru", -3.5, 4, "-3,5"),
        ("en", None, 4, ""),
    ],
)
def test_model_parameters_show_their_significant_digits_the_local_way(
    language, value, digits, shown
):
    with translation.override(language):
        assert significant(value, digits) == shown
