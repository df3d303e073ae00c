"""The orchestra: one agent contract, a registry, and the eight built-in agents.

>>> import orchestria_lab
>>> from orchestria_lab.agents import Action, get_agent
>>> get_agent("mix").spec.capabilities
('gain', 'pan', 'mute', 'unmute', 'solo', 'unsolo', 'automate', 'duck', 'balance')
>>> list(orchestria_lab.list_agents().columns)[:3]
['name', 'description', 'capabilities']
"""

from orchestria_lab.agents.base import Action, Agent, AgentSpec, Param, Target
from orchestria_lab.agents.contract import check_agent
from orchestria_lab.agents.registry import agents_table, get_agent, register, registered, unregister

__all__ = ["Action", "Agent", "AgentSpec", "Param", "Target", "agents_table", "check_agent", "get_agent",
           "register", "registered", "unregister"]

