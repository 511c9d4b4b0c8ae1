from articles import chrome


def navigation(request):
    """The categories every reader page shows and the chrome made of them,
    rendered once per navigation and process (articles/chrome.py), kept off
    the query budget."""
    current = chrome.current()
    return {"chrome": current, "nav_categories": current.categories}
