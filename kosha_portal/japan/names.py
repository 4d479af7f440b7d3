"""Japanese names are written family name first (DOMAIN §7); Django's get_full_name() is not."""


def person_name(user) -> str:
    """「佐藤 一郎」 for a user with last_name 佐藤 and first_name 一郎; the username otherwise."""
    if user is None:
        return ""
    name = f"{user.last_name} {user.first_name}".strip()
    return name or user.get_username()
