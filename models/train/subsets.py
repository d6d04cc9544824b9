"""Diagnostic subsets of VitaminC pairs."""
import re

MONTHS = {"january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december"}
NUM = re.compile(r"\d+(?:[.,]\d+)*")
WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
STOP = {"the", "a", "an", "of", "in", "on", "and", "to", "was", "is", "were", "are", "has", "had", "have", "by",
        "for", "at", "as", "with", "from", "than", "more", "less", "over", "under", "about", "least", "around",
        "fewer", "nearly", "almost", "approximately", "only", "just", "its", "it", "that", "which", "be", "been",
        "s", "after", "before", "since", "there", "this", "his", "her", "their", "they", "he", "she"}


def nums(s):
    return {n.replace(",", "") for n in NUM.findall(s)}


def words(s):
    return {w.lower() for w in WORD.findall(s)} - MONTHS


def number_mismatch(premise, claim):
    """Broad: the claim states a number (incl. years / dates) that the evidence does not contain."""
    return bool(nums(claim) - nums(premise))


def number_only_diff(premise, claim):
    """Strict: a claim number is absent from the evidence and every content word of the claim occurs in the
    evidence, i.e. the claim differs from its evidence only by numbers / dates."""
    if not number_mismatch(premise, claim):
        return False
    return not ((words(claim) - STOP) - words(premise))
