"""Everything about turning retrieved passages into a cited answer.

- `types`: the contract (Answer, Citation, Delta, Generator, CorpusStats);
- `question`: question analysis (what is asked, which terms must match);
- `extractive`: the default generator (no LLM);
- `llm`, `llm_client`, `local_model`, `prompts`: the LLM generators;
- `verification`: checks an LLM's sentences against the passages they cite;
- `factory`: `make_generator(settings)`.
"""

from assistant.answers.factory import make_generator
from assistant.answers.types import (
           NOT_COVERED,
           Answer,
           Citation,
           CorpusStats,
           Delta,
           Generator,
)

__all__ = ["NOT_COVERED", "Answer", "Citation", "CorpusStats", "Delta", "Generator",
           "make_generator"]
