"""Pure triage core: knowledge in, interview state (plain JSON) in, next question or result out.

No import of ask_sdk, boto3 or flask here or below.
"""
