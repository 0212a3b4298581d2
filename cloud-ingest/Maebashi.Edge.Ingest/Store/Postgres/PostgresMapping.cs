using System.Text;
using Maebashi.Edge.Ingest.Rules;
using Npgsql;
using NpgsqlTypes;

namespace Maebashi.Edge.Ingest.Store.Postgres;

/// <summary>
/// The store's model as PostgreSQL rows and parameters, and back (Schema/0001_day_bounded_layout.sql). Instants are
/// UTC ticks in bigint columns; JSON columns hold what <see cref="StoreJson"/> writes, so both stores keep a tap, a
/// trip and a checkpoint in the same form.
/// </summary>
internal static class PostgresMapping
{
    public static NpgsqlParameter Text(string? value) => new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)value ?? DBNull.Value };

    public static NpgsqlParameter Long(long value) => new() { NpgsqlDbType = NpgsqlDbType.Bigint, Value = value };

    public static NpgsqlParameter Long(long? value) => new() { NpgsqlDbType = NpgsqlDbType.Bigint, Value = (object?)value ?? DBNull.Value };

    public static NpgsqlParameter Int(int value) => new() { NpgsqlDbType = NpgsqlDbType.Integer, Value = value };

    public static NpgsqlParameter Bool(bool value) => new() { NpgsqlDbType = NpgsqlDbType.Boolean, Value = value };

    public static NpgsqlParameter Date(DateOnly value) => new() { NpgsqlDbType = NpgsqlDbType.Date, Value = value };

    public static NpgsqlParameter Bytes(byte[] value) => new() { NpgsqlDbType = NpgsqlDbType.Bytea, Value = value };

    /// <summary>UTF-8 JSON (from <see cref="StoreJson"/>) for a body column (text: stored and read back whole, never queried inside).</summary>
    public static NpgsqlParameter Json(byte[] utf8) => new() { NpgsqlDbType = NpgsqlDbType.Text, Value = Encoding.UTF8.GetString(utf8) };

    /// <summary>An array parameter, for <c>INSERT … SELECT FROM unnest(…)</c>: one statement for many rows.</summary>
    public static NpgsqlParameter Array<T>(T[] values, NpgsqlDbType element) => new() { NpgsqlDbType = NpgsqlDbType.Array | element, Value = values };

    /// <summary>A nullable array parameter (null elements as SQL NULL).</summary>
    public static NpgsqlParameter NullableArray<T>(T?[] values, NpgsqlDbType element) where T : struct =>
        new() { NpgsqlDbType = NpgsqlDbType.Array | element, Value = values };

    /// <summary>JSON documents as a text[], for body columns.</summary>
    public static NpgsqlParameter JsonArray(IEnumerable<byte[]> utf8) => Array(utf8.Select(Encoding.UTF8.GetString).ToArray(), NpgsqlDbType.Text);

    /// <summary>A device's seq (unsigned 64-bit) kept bit for bit in a bigint.</summary>
    public static long Seq(ulong seq) => unchecked((long)seq);

    public static ulong Seq(long stored) => unchecked((ulong)stored);

    public static DateTimeOffset At(long ticks) => new(ticks, TimeSpan.Zero);

    public static DateTimeOffset? At(NpgsqlDataReader r, int column) => r.IsDBNull(column) ? null : At(r.GetInt64(column));

    public static string? OptText(NpgsqlDataReader r, int column) => r.IsDBNull(column) ? null : r.GetString(column);

    public static byte[] JsonBytes(NpgsqlDataReader r, int column) => Encoding.UTF8.GetBytes(r.GetString(column));

    public static TapRecord ReadTap(NpgsqlDataReader r, int column) => StoreJson.Tap(JsonBytes(r, column));

    public static Trip ReadTrip(NpgsqlDataReader r, int column) => StoreJson.Trip(JsonBytes(r, column));

    public static DayCheckpoint ReadCheckpoint(NpgsqlDataReader r, int column) => StoreJson.Checkpoint(JsonBytes(r, column));

    /// <summary>The columns of <c>persons</c> that <see cref="PostgresQueries.Person"/> reads, in its order.</summary>
    public const string PersonColumns = "evaluated, value, points, points_bus, points_volunteer, points_health, in_debt, next_close_at, revision";

    public const string PostingColumns = "key, kind, value, points, source, at, description";

    /// <param name="first">The ordinal of the posting's first column (<see cref="PostingColumns"/>).</param>
    public static Posting ReadPosting(NpgsqlDataReader r, int first = 0) =>
        new(r.GetString(first), r.GetString(first + 1), r.GetInt64(first + 2), r.GetInt64(first + 3), r.GetString(first + 4), At(r.GetInt64(first + 5)), r.GetString(first + 6));

    public const string EntryColumns = "key, kind, value, points, source, at, recorded_at, description, adjustment";

    /// <param name="first">The ordinal of the entry's first column (<see cref="EntryColumns"/>).</param>
    public static WalletEntry ReadEntry(string pid, NpgsqlDataReader r, int first = 0) =>
        new(pid, r.GetString(first), r.GetString(first + 1), r.GetInt64(first + 2), r.GetInt64(first + 3), r.GetString(first + 4),
            At(r.GetInt64(first + 5)), At(r.GetInt64(first + 6)), r.GetString(first + 7), r.GetBoolean(first + 8));

    public const string CheckInColumns = "pid, clinic, day, patient_no, queue, child, at, my_number";

    public static CheckInRecord ReadCheckIn(NpgsqlDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetFieldValue<DateOnly>(2), r.GetString(3), r.GetInt32(4), r.GetBoolean(5), At(r.GetInt64(6)), r.GetBoolean(7));

    public const string ParticipationColumns = "pid, event, sector, sector_id, in_at, out_at, points";

    public static ParticipationRecord ReadParticipation(NpgsqlDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), At(r.GetInt64(4)), At(r, 5), r.GetInt64(6));

    public const string DeviceColumns = "device, up_to, last_seen, events_applied";

    public static DeviceProgress ReadDevice(NpgsqlDataReader r) => new(r.GetString(0), Seq(r.GetInt64(1)), At(r.GetInt64(2)), r.GetInt64(3));

    public const string ValueChangeColumns = "pid, id, amount, at, kind, reason, note";

    public static (string Pid, ValueChange Change) ReadValueChange(NpgsqlDataReader r) =>
        (r.GetString(0), new ValueChange(r.GetString(1), r.GetInt64(2), At(r.GetInt64(3)), (ValueChangeKind)r.GetInt16(4), OptText(r, 5), OptText(r, 6)));
}
