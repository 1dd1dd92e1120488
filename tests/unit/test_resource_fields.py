"""The output schema (pciclient/v2/resource_fields.py) keeps the README's promises: list
columns are Title Case labels, show fields the API's snake_case names, none empty and
none twice in one view."""
from __future__ import annotations

import re

import pytest

from pciclient.v2 import resource_fields
from pciclient.v2.resource_fields import View

VIEWS = {name: value for name, value in vars(resource_fields).items()
         if isinstance(value, View)}
LIST_VIEWS = {name: view for name, view in VIEWS.items() if '_LIST' in name}
SHOW_VIEWS = {name: view for name, view in VIEWS.items() if name.endswith('_SHOW')
              or '_SHOW_' in name}

#: Words spelled as the world spells them, not capitalised ("vCPUs", as in Horizon).
CONVENTIONAL = {'vCPUs'}
_TITLE_WORD = re.compile(r'[A-Z][A-Za-z0-9]*\Z')
_SNAKE = re.compile(r'[a-z][a-z0-9]*(_[a-z0-9]+)*\Z')


def test_every_view_is_a_list_or_a_show():
    assert VIEWS and LIST_VIEWS and SHOW_VIEWS
    assert set(LIST_VIEWS) | set(SHOW_VIEWS) == set(VIEWS)
    assert not set(LIST_VIEWS) & set(SHOW_VIEWS)


@pytest.mark.parametrize('name', sorted(VIEWS))
def test_fields_are_named_and_unique(name):
    fields = VIEWS[name].fields
    assert fields and all(isinstance(field, str) and field for field in fields)
    assert len(set(fields)) == len(fields), f'{name} repeats a field'


@pytest.mark.parametrize('name', sorted(LIST_VIEWS))
def test_list_labels_are_title_case_and_unique(name):
    view = LIST_VIEWS[name]
    labels = view.labels      # a field without a label is a KeyError here
    assert len(labels) == len(view.fields)
    assert all(isinstance(label, str) and label.strip() == label and label for label in labels)
    assert len(set(labels)) == len(labels), f'{name} shows a label twice: {labels}'
    # cliff matches -c names case-insensitively with "_" for a space: two labels that
    # match the same -c would make one of them unselectable.
    normal = [label.lower().replace(' ', '_') for label in labels]
    assert len(set(normal)) == len(normal), f'{name}: {labels}'
    for label in labels:
        words = label.split(' ')
        assert all(_TITLE_WORD.match(word) or word in CONVENTIONAL for word in words), \
            f'{name}: {label!r} is not Title Case'


@pytest.mark.parametrize('name', sorted(SHOW_VIEWS))
def test_show_fields_are_snake_case(name):
    for field in SHOW_VIEWS[name].fields:
        assert _SNAKE.match(field), f'{name}: {field!r} is not snake_case'


def test_every_label_is_title_case():
    """LABELS holds the columns of views to come as well: the same rule."""
    for field, label in resource_fields.LABELS.items():
        assert _SNAKE.match(field), field
        assert label and all(_TITLE_WORD.match(word) or word in CONVENTIONAL
                             for word in label.split(' ')), label
