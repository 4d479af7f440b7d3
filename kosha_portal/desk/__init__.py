"""The desk officer's home: the admin index shows the day's work queues (views.desk_home)."""
