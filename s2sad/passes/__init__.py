"""IR → IR clean-ups run after lowering and after the derivative transforms."""
