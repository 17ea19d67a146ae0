"""The knowledge loop: staff edit and confirm entries live, and review unanswered questions."""
