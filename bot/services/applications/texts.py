"""What a crew reads about its application: each status explained, in its language.

Each status says three things, because a producer abroad needs all three: what it
means, what to do now, and what happens next. The same words serve `/status`, the
"My application" button and the notice sent when the status changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import N_, Translator
from bot.services.applications import workflow
from bot.services.applications.workflow import items
from bot.storage.models import Application, ApplicationEvent


@dataclass(frozen=True)
class StatusText:
    label: str
    meaning: str
    now: str
    next: str


STATUS_TEXTS = {
    workflow.SUBMITTED: StatusText(
        N_("Submitted"),
        N_("The Cinema Department has received your application."),
        N_("Nothing for now. Keep your reference and access code."),
        N_("Staff check that the file is complete and then start the review.")),
    workflow.UNDER_REVIEW: StatusText(
        N_("Under review"),
        N_("Your file is complete and the Cinema Department is reviewing it."),
        N_("Nothing for now. You will be told here as soon as the status changes."),
        N_("A decision by the date shown, or a request for more information.")),
    workflow.INFO_REQUESTED: StatusText(
        N_("Information requested"),
        N_("The Cinema Department needs more information before it can decide."),
        N_("Send the items listed below through your Vietnamese film-service company "
           "before the due date."),
        N_("When the information arrives the review continues, and the time for a "
           "decision starts again.")),
    workflow.APPROVED: StatusText(
        N_("Approved"),
        N_("Your filming permit has been granted."),
        N_("Keep the permit number with you on set, and follow the conditions in your "
           "permit."),
        N_("The permit is valid for the dates shown; after the shoot, report as your "
           "permit requires.")),
    workflow.REJECTED: StatusText(
        N_("Rejected"),
        N_("The Cinema Department has refused the application."),
        N_("Read the note below. Your film-service company can explain the reasons and "
           "whether a new application could succeed."),
        N_("Nothing further happens with this application.")),
    workflow.WITHDRAWN: StatusText(
        N_("Withdrawn"),
        N_("The application has been withdrawn."),
        N_("Nothing. If this is a mistake, contact your film-service company."),
        N_("Nothing further happens with this application.")),
    workflow.EXPIRED: StatusText(
        N_("Expired"),
        N_("The permit's validity has ended."),
        N_("Filming under this permit is no longer allowed. Apply again if you need more "
           "time."),
        N_("Nothing further happens with this application.")),
}


def label(status: str, t: Translator) -> str:
    known = STATUS_TEXTS.get(status)
    return t.gettext(known.label) if known else status


def _details(application: Application, t: Translator) -> list[str]:
    _ = t.gettext
    lines: list[str] = []
    requested = items(application.requested)
    if application.status == workflow.INFO_REQUESTED and requested:
        lines.append(_("**Requested:**") + "\n" + "\n".join(f"- {item}" for item in requested))
        if application.requested_due is not None:
            lines.append(_("**Due by:** {date}").format(date=t.date(application.requested_due)))
    if application.decision_due is not None and application.status in workflow.OPEN:
        lines.append(_("**Decision due by:** {date}").format(
            date=t.date(application.decision_due)))
    if application.permit_number and application.valid_until is not None:
        valid_from = application.valid_from or application.shoot_start
        lines.append(_("**Permit:** {number}, valid from {start} to {end}").format(
            number=application.permit_number, start=t.date(valid_from),
            end=t.date(application.valid_until)))
    if application.note:
        lines.append(_("**Note from the Cinema Department:** {note}").format(
            note=application.note))
    return lines


def _status_block(application: Application, t: Translator) -> list[str]:
    _ = t.gettext
    known = STATUS_TEXTS.get(application.status)
    if known is None:
        return [application.status]
    return [_(known.meaning),
            _("**What to do now:** {text}").format(text=_(known.now)),
            _("**What happens next:** {text}").format(text=_(known.next))]


def heading(application: Application) -> str:
    return f"**{application.production_title}** ({application.reference})"


def status_card(application: Application, history: list[ApplicationEvent], t: Translator
                ) -> str:
    """Everything a crew may see of one application, short answer first."""
    _ = t.gettext
    parts = [heading(application) + "\n" + _("Status: **{status}**").format(
        status=label(application.status, t))]
    parts += _status_block(application, t)
    parts += _details(application, t)
    if history:
        lines = [_("**History:**")]
        for event in history:
            line = f"- {t.date(event.created_at.date(), 'medium')}: {label(event.to_status, t)}"
            if event.note:
                line += f" ({event.note})"
            lines.append(line)
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def change_notice(application: Application, event: ApplicationEvent, t: Translator) -> str:
    """The message every following chat gets when the status changes."""
    _ = t.gettext
    head = _("Your application {reference} ({title}) is now: **{status}**").format(
        reference=application.reference, title=application.production_title,
        status=label(event.to_status, t))
    return "\n\n".join([head, *_status_block(application, t), *_details(application, t)])
