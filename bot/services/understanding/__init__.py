"""Reading a crew's message the way a person would: what it asks, about which place,
whether it follows up the last answer or is small talk, and in which language to answer.

The knowledge base's search ranks articles for one question; this package decides what
the questions are (an introduction, a greeting or "thanks" around them is no question),
which place and topic each is about, and what the chat talked about last.
"""

from bot.services.understanding.places import Gazetteer, Place
from bot.services.understanding.reader import Ask, Memory, Reader, Reading
from bot.services.understanding.smalltalk import SmallTalk
from bot.services.understanding.topics import Topic, Topics

__all__ = ["Ask", "Gazetteer", "Memory", "Place", "Reader", "Reading", "SmallTalk", "Topic",
           "Topics"]
