"""recipe-compiler: read, check, plan, rescale and preview SparseML 1.8 recipes.

The Python API lives in the modules (importing this package stays cheap; the CLI's
start-up budget is 150 ms):

    from recipe_compiler.recipe import load          # a recipe, as SparseML reads it
    from recipe_compiler.lint import lint_recipe     # its problems
    from recipe_compiler.schedule import plan        # every optimizer step
    from recipe_compiler.rescale import rescale      # the 90-epoch rule
    from recipe_compiler.preview import render       # the HTML page
"""
