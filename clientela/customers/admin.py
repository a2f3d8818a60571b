"""The catalog in Django's admin, for owners: to look things up and read the history.

Customers, contacts and addresses are changed in the staff pages, whose services check
tax ids, versions and duplicates; here they are read-only. Tags can be renamed.
"""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from clientela.customers.models import (
    Address,
    Contact,
    Customer,
    CustomerEmail,
    CustomerPhone,
    CustomerTag,
    DuplicateCandidate,
    Tag,
)


class ReadOnlyMixin:
    """Show records without letting the admin change, add or delete them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EmailInline(ReadOnlyMixin, admin.TabularInline):
    model = CustomerEmail
    fields = ["email", "position"]
    extra = 0


class PhoneInline(ReadOnlyMixin, admin.TabularInline):
    model = CustomerPhone
    fields = ["number", "position"]
    extra = 0


class TagInline(ReadOnlyMixin, admin.TabularInline):
    model = CustomerTag
    fields = ["tag"]
    extra = 0


class ContactInline(ReadOnlyMixin, admin.TabularInline):
    model = Contact
    fields = ["name", "role", "email", "phone", "is_primary"]
    extra = 0


class AddressInline(ReadOnlyMixin, admin.TabularInline):
    model = Address
    fields = ["label", "street", "city", "postal_code", "country", "is_default"]
    extra = 0


@admin.register(Customer)
class CustomerAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = ["name", "kind", "tax_id", "country", "owner", "source", "created_at"]
    list_filter = ["kind", "source", "country", "owner"]
    search_fields = ["name", "legal_name", "tax_id", "search_document"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    inlines = [EmailInline, PhoneInline, TagInline, ContactInline, AddressInline]


@admin.register(Contact)
class ContactAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = ["name", "customer", "role", "email", "phone", "is_primary"]
    search_fields = ["name", "email", "phone", "customer__name"]
    list_select_related = ["customer"]


@admin.register(Address)
class AddressAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = ["customer", "street", "city", "postal_code", "country", "is_default"]
    list_filter = ["country", "is_default"]
    search_fields = ["street", "city", "postal_code", "customer__name"]
    list_select_related = ["customer"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


@admin.register(DuplicateCandidate)
class DuplicateCandidateAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["customer", "other", "score", "status", "found_at"]
    list_filter = ["status"]
    list_select_related = ["customer", "other"]
