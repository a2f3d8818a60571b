"""Background work of the order book."""

from django_tasks import task

from clientela.orders.models import Product
from clientela.orders.services import product_tolerance_apply


@task()
def product_tolerance_task(product_id: int) -> None:
    """Re-judge the orders of a product whose tolerance changed (if it still exists)."""
    product = Product.objects.filter(pk=product_id).first()
    if product is not None:
        product_tolerance_apply(product=product)
