from shared.migrations import run_env

from accounts.models import Base

run_env(Base.metadata)
