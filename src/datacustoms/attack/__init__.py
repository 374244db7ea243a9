"""What a recipient could learn from the data: hash reversal and linkage attacks."""
