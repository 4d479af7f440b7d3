import pytest
import time_machine

from . import dataset


@pytest.fixture
def frozen():
    """2027-04-15 10:00 JST: 令和8年度 has ended (its figures at the year end differ from now)."""
    with time_machine.travel(dataset.NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def report_data(db, frozen):
    return dataset.build()


@pytest.fixture
def staff_client(client, desk_user):
    client.force_login(desk_user)
    return client
