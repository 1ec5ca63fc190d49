"""The durable log: its codec (CRC, records), its file (repair, rescue), the writer thread and the lock."""
