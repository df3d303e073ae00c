"""Language: text -> Plan. A lexicon, a clause splitter and slot-filling rules, behind a Planner.

>>> from orchestria_lab.state import Meta, State
>>> [a.describe() for a in parse("set the tempo to 120 bpm", State(Meta(bpm=90, key="Cm", genre="lo-fi")))]
['arrange.tempo(bpm=120)']
"""

from orchestria_lab.language.llm import ChatPlanner
from orchestria_lab.language.parser import RuleParser, parse
from orchestria_lab.language.plan import PlanContext, Planner, validate_plan
from orchestria_lab.language.suggest import suggest
from orchestria_lab.language.tokens import tag

__all__ = ["ChatPlanner", "PlanContext", "Planner", "RuleParser", "parse", "suggest", "tag", "validate_plan"]
