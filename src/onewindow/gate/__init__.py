"""Gate automation (卡口自动放行): a gate reader sends plate, containers and seals; OneWindow answers
open or hold from the release state in milliseconds, logs every passage, and puts the goods'
exit (出卡口) or arrival (运抵) on the declaration's timeline when the truck has passed."""
