using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Ingest.Rules;

// Clinic check-ins: the first of the person per clinic and day, with the patient number and the subsidy.
internal sealed partial class WalletEvaluation
{
    private readonly Dictionary<(string Clinic, DateOnly Date), CheckIn> _checkInByDay = [];
    private readonly List<CheckIn> _checkIns = [];
    private Dictionary<string, string>? _patientNos;

    private void ClinicCheckin(int i)
    {
        StoredTap tap = _entries[i].Tap;
        TapContext ctx = tap.Event.Ctx;
        ClinicDef? clinic = ctx.Clinic is null ? null : _registry.FindClinic(ctx.Clinic);
        if (clinic is null)
        {
            Reject(i, $"unknown clinic '{ctx.Clinic}'");
            return;
        }

        string? deviceClinic = _registry.FindDevice(tap.Device)?.Def.Clinic;
        if (deviceClinic is not null && !string.Equals(deviceClinic, clinic.Id, StringComparison.Ordinal))
        {
            Reject(i, $"device {tap.Device} is the reception of clinic {deviceClinic}, not {clinic.Id}");
            return;
        }

        if (ctx.Queue is not int queue || queue < 1)
        {
            Reject(i, "clinic_checkin without a queue number");
            return;
        }

        DateOnly date = WalletRules.JstDate(tap.Event.At);
        if (_checkInByDay.TryGetValue((clinic.Id, date), out CheckIn? first))
        {
            _outcome[i] = TapOutcome.CheckedIn($"already checked in at {clinic.Id} today (queue {first.Queue})", first.PatientNo, first.Queue, first.ChildMedicalSubsidy);
            return;
        }

        _patientNos ??= new Dictionary<string, string>(StringComparer.Ordinal);
        if (!_patientNos.TryGetValue(clinic.Id, out string? patientNo))
        {
            _patientNos[clinic.Id] = patientNo = _registry.SectorIdFor(_person.Pid, "clinic:" + clinic.Id);
        }

        bool subsidy = WalletRules.ChildMedicalSubsidy(_person.BirthDate, date);
        var checkIn = new CheckIn(clinic.Id, date, queue, patientNo, subsidy, tap.Event.At, RefOf(i));
        _checkInByDay[(clinic.Id, date)] = checkIn;
        _checkIns.Add(checkIn);
        _outcome[i] = TapOutcome.CheckedIn(null, patientNo, queue, subsidy);
    }
}
