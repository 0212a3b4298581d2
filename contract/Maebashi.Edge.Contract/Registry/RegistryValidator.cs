using System.Globalization;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;

namespace Maebashi.Edge.Contract.Registry;

/// <summary>
/// Checks a registry document and lists every problem, each naming its entry and field
/// (docs/contract.md §7). UIDs and keys are never echoed into a problem.
/// </summary>
public static partial class RegistryValidator
{
    public static IReadOnlyList<RegistryProblem> Validate(RegistryDocument doc)
    {
        var problems = new List<RegistryProblem>();
        void Add(string entry, string field, string message) => problems.Add(new RegistryProblem(entry, field, message));

        // keys
        if (doc.Keys is null)
        {
            Add("keys", "regionKey", "missing");
            Add("keys", "linkKey", "missing");
        }
        else
        {
            CheckKey(doc.Keys.RegionKey, "keys", "regionKey", Add);
            CheckKey(doc.Keys.LinkKey, "keys", "linkKey", Add);
        }

        // tariff
        if (doc.Tariff is { } tariff)
        {
            if (tariff.DebtLimit < 0)
            {
                Add("tariff", "debtLimit", $"must be 0 or more, got {tariff.DebtLimit}");
            }

            if (tariff.RidePointsPer100 < 0)
            {
                Add("tariff", "ridePointsPer100", $"must be 0 or more, got {tariff.RidePointsPer100}");
            }

            if (tariff.DailyCap is { } cap)
            {
                CheckNonNegative(cap.Adult, "tariff", "dailyCap.adult", Add);
                CheckNonNegative(cap.Child, "tariff", "dailyCap.child", Add);
                CheckNonNegative(cap.Disability, "tariff", "dailyCap.disability", Add);
            }
        }

        // clinics
        var clinics = new HashSet<string>(StringComparer.Ordinal);
        ForEach(doc.Clinics, "clinics", (c, entry, index) =>
        {
            if (string.IsNullOrWhiteSpace(c.Id))
            {
                Add(entry, "id", "missing");
            }
            else if (!clinics.Add(c.Id))
            {
                Add(entry, "id", $"duplicate clinic id '{c.Id}'");
            }
        });

        // persons
        var pids = new HashSet<string>(doc.Persons?.Count ?? 0, StringComparer.Ordinal);
        ForEach(doc.Persons, "persons", (p, entry, index) =>
        {
            if (string.IsNullOrWhiteSpace(p.Pid))
            {
                Add(entry, "pid", "missing");
                return;
            }

            string named = $"{entry} (pid {p.Pid})";
            if (!pids.Add(p.Pid))
            {
                Add(named, "pid", $"duplicate pid '{p.Pid}'");
            }

            if (!DateOnly.TryParseExact(p.BirthDate, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
            {
                Add(named, "birthDate", $"expected a date yyyy-MM-dd, got '{p.BirthDate}'");
            }

            foreach (string flag in p.Flags ?? [])
            {
                if (flag != PersonFlags.Disability)
                {
                    Add(named, "flags", $"unknown flag '{flag}' (known: {PersonFlags.Disability})");
                }
            }
        });

        // cards: duplicates by (tech, normalised uid); the uid itself is never echoed.
        var cardKeys = new Dictionary<string, int>(doc.Cards?.Count ?? 0, StringComparer.Ordinal);
        ForEach(doc.Cards, "cards", (c, entry, index) =>
        {
            bool techOk = CardTechs.TryParse(c.Tech, out CardTech tech);
            if (!techOk)
            {
                Add(entry, "tech", $"unknown tech '{c.Tech}' (expected {string.Join(", ", CardTechs.All)})");
            }

            if (!Hex.TryParse(c.Uid, out byte[] uid))
            {
                Add(entry, "uid", string.IsNullOrEmpty(c.Uid) ? "missing" : "bad hex (expected an even number of hex digits)");
            }
            else
            {
                if (techOk && CardTechs.CheckUidLength(tech, uid.Length) is { } why)
                {
                    Add(entry, "uid", why);
                }

                string key = (c.Tech ?? "") + ":" + Hex.Format(uid);
                if (cardKeys.TryGetValue(key, out int first))
                {
                    Add(entry, "uid", $"duplicate card: same tech and uid as cards[{first}]");
                }
                else
                {
                    cardKeys[key] = index;
                }
            }

            if (string.IsNullOrWhiteSpace(c.Pid))
            {
                Add(entry, "pid", "missing");
            }
            else if (!pids.Contains(c.Pid))
            {
                Add(entry, "pid", $"unknown pid '{c.Pid}'");
            }

            if (c.Status is not (CardStatuses.Active or CardStatuses.Lost))
            {
                Add(entry, "status", $"expected active or lost, got '{c.Status}'");
            }

            if (!CardAuthKinds.IsKnown(c.Auth))
            {
                Add(entry, "auth", $"expected {CardAuthKinds.None} or {CardAuthKinds.Ntag424Sun}, got '{c.Auth}'");
            }
            else if (c.Auth == CardAuthKinds.Ntag424Sun && (!techOk || tech != CardTech.Iso14443A || uid.Length != 7))
            {
                // An NTAG 424 DNA has a 7-byte Type A UID, and the SUN message mirrors exactly those 7 bytes.
                Add(entry, "auth", $"{CardAuthKinds.Ntag424Sun} needs an {CardTechs.Iso14443A} card with a 7-byte uid");
            }

            if (c.KeyVersion < 0)
            {
                Add(entry, "keyVersion", $"expected 0 or more, got {c.KeyVersion}");
            }
        });

        // devices
        var devices = new Dictionary<string, string>(StringComparer.Ordinal);
        ForEach(doc.Devices, "devices", (d, entry, index) =>
        {
            if (!Topics.IsValidDeviceId(d.Id))
            {
                Add(entry, "id", string.IsNullOrEmpty(d.Id) ? "missing" : $"'{d.Id}' is not a usable device id (letters, digits, '-', '_', at most 64)");
                return;
            }

            string named = $"{entry} (id {d.Id})";
            if (!devices.TryAdd(d.Id, d.Role ?? ""))
            {
                Add(named, "id", $"duplicate device id '{d.Id}'");
            }

            if (!DeviceRoles.IsKnown(d.Role))
            {
                Add(named, "role", $"unknown role '{d.Role}' (expected bus, event or clinic)");
            }

            CheckKey(d.Key, named, "key", Add);
            if (d.Role == DeviceRoles.Clinic)
            {
                if (string.IsNullOrEmpty(d.Clinic))
                {
                    Add(named, "clinic", "missing (a clinic reception names its clinic)");
                }
                else if (!clinics.Contains(d.Clinic))
                {
                    Add(named, "clinic", $"unknown clinic '{d.Clinic}'");
                }
            }
        });

        ValidateTransit(doc, Add);

        // events
        var eventIds = new HashSet<string>(StringComparer.Ordinal);
        ForEach(doc.Events, "events", (e, entry, index) =>
        {
            if (string.IsNullOrWhiteSpace(e.Id))
            {
                Add(entry, "id", "missing");
                return;
            }

            string named = $"{entry} (id {e.Id})";
            if (!eventIds.Add(e.Id))
            {
                Add(named, "id", $"duplicate event id '{e.Id}'");
            }

            if (e.Sector is not (EventSectors.Volunteer or EventSectors.Health))
            {
                Add(named, "sector", $"expected volunteer or health, got '{e.Sector}'");
            }

            if (e.End < e.Start)
            {
                Add(named, "end", $"event ends ({e.End:O}) before it starts ({e.Start:O})");
            }

            CheckNonNegative(e.Points, named, "points", Add);
            CheckNonNegative(e.PointsPerHour, named, "pointsPerHour", Add);
            CheckNonNegative(e.MaxPoints, named, "maxPoints", Add);
            if (e.Sites is null || e.Sites.Count == 0)
            {
                Add(named, "sites", "an event needs at least one site (device)");
            }
            else
            {
                foreach (string site in e.Sites)
                {
                    if (!devices.TryGetValue(site, out string? role))
                    {
                        Add(named, "sites", $"unknown device '{site}'");
                    }
                    else if (role != DeviceRoles.Event)
                    {
                        Add(named, "sites", $"device '{site}' has role '{role}', not event");
                    }
                }
            }
        });

        return problems;
    }


    private static void CheckKey(string? hex, string entry, string field, Action<string, string, string> add)
    {
        if (string.IsNullOrEmpty(hex))
        {
            add(entry, field, "missing");
        }
        else if (!Hex.TryParse(hex, out byte[] key))
        {
            add(entry, field, "bad hex (expected an even number of hex digits)");
        }
        else if (key.Length < 16)
        {
            add(entry, field, $"key of {key.Length} bytes is too short (at least 16)");
        }
    }

    private static void CheckNonNegative(long? value, string entry, string field, Action<string, string, string> add)
    {
        if (value < 0)
        {
            add(entry, field, $"must be 0 or more, got {value}");
        }
    }

    private static void ForEach<T>(List<T>? items, string name, Action<T, string, int> check)
    {
        if (items is null)
        {
            return;
        }

        for (int i = 0; i < items.Count; i++)
        {
            check(items[i], $"{name}[{i}]", i);
        }
    }
}
