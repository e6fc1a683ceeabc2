"""Officers' work in the grids: households, residents, visits and the visit e-form, needs and their 48 h workflow, privacy complaints, special groups, work lists, grid detail."""
