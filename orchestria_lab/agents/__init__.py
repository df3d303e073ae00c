"""The orchestra: one agent contract, a registry, and the eight built-in agents.

>>> import orchestria_lab
>>> from orchestria_lab.agents import Action, get_agent
>>> get_agent("mix").spec.capabilities
('gain', 'pan', 'mute', 'unmute', 'solo', 'unsolo')
>>> list(orchestria_lab.agents().columns)[:3]
['name', 'description', 'capabilities']
"""

import sys
import types

from orchestria_lab.agents.base import Action, Agent, AgentSpec, Param, Target
from orchestria_lab.agents.contract import check_agent
from orchestria_lab.agents.registry import agents_table, get_agent, register, registered, unregister

__all__ = ["Action", "Agent", "AgentSpec", "Param", "Target", "agents_table", "check_agent", "get_agent",
           "register", "registered", "unregister"]


class _CallablePackage(types.ModuleType):
    """Importing ``orchestria_lab.agents`` makes it the attribute ``agents`` of the top package,
    in place of the function ``orchestria_lab.agents()``; calling the package keeps that
    curated call working: it returns the same table."""

    def __call__(self):
        return agents_table()


sys.modules[__name__].__class__ = _CallablePackage
