"""Shared facilities (共享查验设施): ports, inspection sites, scanners, CCTV and gates, who owns and
shares them, their capacity and opening hours, and the bookings made against them."""
