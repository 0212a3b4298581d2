using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Text;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Ingest.Registry;

/// <summary>
/// A prefecture's persons and cards in a few flat arrays instead of an object per entry, so that a worker whose registry
/// lives in PostgreSQL holds 2,000,000 persons and 6,000,000 cards in about 300 MB (docs/ingest.md, "The registry in
/// PostgreSQL"). A card is found through an index on its token's leading bits, a person by an open-addressing table of
/// their pid; the entries the registry hands out are made on each lookup.
/// </summary>
public sealed class PackedRegistryPeople : IRegistryPeople
{
    private const int TokenBytes = 16;

    // Persons, by number (the order added): pid as UTF-8 in one buffer, and the columns the rules read.
    private readonly byte[] _pids;
    private readonly int[] _pidStart;
    private readonly int[] _birthDay;
    private readonly PersonBits[] _personBits;
    private readonly long[] _openingValue;
    private readonly long[] _openingPoints;

    // Open addressing on the pid's hash: person number + 1 (0 is an empty slot); a power of two, at most half full.
    private readonly int[] _pidTable;

    // Cards, ascending by token; tokens are HMAC outputs, spread evenly, so their leading bits index where each bucket
    // of the sorted list starts and a lookup compares a handful of neighbouring records (a cache line or two) instead of
    // searching the whole list. A record holds what a lookup answers, its person's pid included, so that resolving a
    // token touches the bucket index, the records and the pid's bytes: three places in memory.
    private readonly CardRecord[] _cards;
    private readonly int _bucketBits;
    private readonly int[] _bucketStart;

    // Each person's cards: card indexes grouped by person, and where each person's group starts.
    private readonly int[] _cardsByPerson;
    private readonly int[] _personCardStart;

    [Flags]
    internal enum PersonBits : byte
    {
        None = 0,
        Disability = 1,
        AutoPointPay = 2,
    }

    [Flags]
    internal enum CardBits : byte
    {
        None = 0,
        Lost = 1,
        Authenticated = 2,

        // The tech in the bits above these flags.
        TechShift = 4,
    }

    /// <summary>A card: its token as two big-endian halves (their order is the bytes' order), and what a lookup answers.</summary>
    internal struct CardRecord : IComparable<CardRecord>
    {
        public ulong High;
        public ulong Low;
        public int Person;
        public int KeyVersion;
        public int PidStart;
        public ushort PidLength;
        public CardBits Bits;

        public readonly int CompareTo(CardRecord other) => High != other.High ? High.CompareTo(other.High) : Low.CompareTo(other.Low);

        public readonly bool SameToken(CardRecord other) => High == other.High && Low == other.Low;
    }

    private PackedRegistryPeople(Builder b)
    {
        int persons = b.PersonCount;
        int cards = b.CardCount;
        _pids = Exact(b.Pids, b.PidBytes);
        _pidStart = Exact(b.PidStart, persons + 1);
        _birthDay = Exact(b.BirthDay, persons);
        _personBits = Exact(b.PersonFlags, persons);
        _openingValue = Exact(b.OpeningValue, persons);
        _openingPoints = Exact(b.OpeningPoints, persons);
        _cards = Exact(b.Cards, cards);
        for (int c = 0; c < cards; c++)
        {
            ref CardRecord r = ref _cards[c];
            r.PidStart = _pidStart[r.Person];
            r.PidLength = checked((ushort)(_pidStart[r.Person + 1] - r.PidStart));
        }

        _bucketBits = Math.Clamp(int.Log2(Math.Max(1, cards)), 1, 24);
        _bucketStart = new int[(1 << _bucketBits) + 1];
        foreach (CardRecord r in _cards)
        {
            _bucketStart[Bucket(r.High) + 1]++;
        }

        for (int i = 1; i < _bucketStart.Length; i++)
        {
            _bucketStart[i] += _bucketStart[i - 1];
        }

        _pidTable = new int[TableSize(persons)];
        for (int n = 0; n < persons; n++)
        {
            string pid = Pid(n);
            int slot = Slot(pid);
            for (; _pidTable[slot] != 0; slot = (slot + 1) & (_pidTable.Length - 1))
            {
                if (Pid(_pidTable[slot] - 1) == pid)
                {
                    throw new ArgumentException($"persons: duplicate pid at {n}");
                }
            }

            _pidTable[slot] = n + 1;
        }

        // A counting sort of the cards by person.
        _personCardStart = new int[persons + 1];
        foreach (CardRecord r in _cards)
        {
            _personCardStart[r.Person + 1]++;
        }

        for (int p = 0; p < persons; p++)
        {
            _personCardStart[p + 1] += _personCardStart[p];
        }

        _cardsByPerson = new int[cards];
        int[] next = _personCardStart[..persons];
        for (int c = 0; c < cards; c++)
        {
            _cardsByPerson[next[_cards[c].Person]++] = c;
        }
    }

    /// <summary>Packs persons and cards held another way (a registry loaded from its file).</summary>
    public static PackedRegistryPeople From(IRegistryPeople people)
    {
        ArgumentNullException.ThrowIfNull(people);
        var builder = new Builder(people.PersonCount, people.CardCount);
        var numbers = new Dictionary<string, int>(people.PersonCount, StringComparer.Ordinal);
        foreach (PersonEntry p in people.Persons)
        {
            numbers[p.Pid] = builder.AddPerson(p.Pid, p.BirthDate, p.HasDisability, p.Def.AutoPointPay, p.Def.OpeningValue, p.Def.OpeningPoints);
        }

        Span<byte> token = stackalloc byte[TokenBytes];
        foreach (CardEntry c in people.Cards)
        {
            if (Base64Url.DecodeFromChars(c.Token, token, out _, out int written) != OperationStatus.Done || written != TokenBytes)
            {
                throw new ArgumentException($"cards: '{c.Token}' is not a card token");
            }

            builder.AddCard(token, numbers[c.Pid], c.Tech, c.Lost, c.Authenticated, c.KeyVersion);
        }

        return builder.Build();
    }

    public int PersonCount => _birthDay.Length;

    public int CardCount => _cards.Length;

    public IEnumerable<PersonEntry> Persons
    {
        get
        {
            for (int n = 0; n < PersonCount; n++)
            {
                yield return Person(n);
            }
        }
    }

    public IEnumerable<CardEntry> Cards
    {
        get
        {
            for (int c = 0; c < CardCount; c++)
            {
                yield return Card(c, TokenOf(c));
            }
        }
    }

    public CardEntry? FindCard(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        Span<byte> key = stackalloc byte[TokenBytes];
        if (token.Length != CardToken.Length
            || Base64Url.DecodeFromChars(token, key, out _, out int written) != OperationStatus.Done || written != TokenBytes)
        {
            return null;
        }

        var probe = new CardRecord { High = BinaryPrimitives.ReadUInt64BigEndian(key), Low = BinaryPrimitives.ReadUInt64BigEndian(key[8..]) };
        int bucket = Bucket(probe.High);
        for (int i = _bucketStart[bucket], end = _bucketStart[bucket + 1]; i < end; i++)
        {
            int order = _cards[i].CompareTo(probe);
            if (order == 0)
            {
                // The last character carries 4 spare bits: only the canonical spelling of a token is that token.
                Span<char> canonical = stackalloc char[CardToken.Length];
                Base64Url.EncodeToChars(key, canonical);
                return canonical.SequenceEqual(token) ? Card(i, token) : null;
            }

            if (order > 0)
            {
                break;
            }
        }

        return null;
    }

    public PersonEntry? FindPerson(string pid) => NumberOf(pid) is int n and >= 0 ? Person(n) : null;

    public IReadOnlyList<CardEntry> CardsOf(string pid)
    {
        int n = NumberOf(pid);
        if (n < 0)
        {
            return [];
        }

        var cards = new CardEntry[_personCardStart[n + 1] - _personCardStart[n]];
        for (int i = 0; i < cards.Length; i++)
        {
            int c = _cardsByPerson[_personCardStart[n] + i];
            cards[i] = Card(c, TokenOf(c));
        }

        return cards;
    }

    /// <summary>The token's leading <see cref="_bucketBits"/> bits.</summary>
    private int Bucket(ulong high) => (int)(high >> (64 - _bucketBits));

    private string TokenOf(int c)
    {
        Span<byte> token = stackalloc byte[TokenBytes];
        BinaryPrimitives.WriteUInt64BigEndian(token, _cards[c].High);
        BinaryPrimitives.WriteUInt64BigEndian(token[8..], _cards[c].Low);
        return Base64Url.EncodeToString(token);
    }

    private int NumberOf(string pid)
    {
        ArgumentNullException.ThrowIfNull(pid);
        if (PersonCount == 0)
        {
            return -1;
        }

        for (int slot = Slot(pid); _pidTable[slot] != 0; slot = (slot + 1) & (_pidTable.Length - 1))
        {
            int n = _pidTable[slot] - 1;
            if (PidEquals(n, pid))
            {
                return n;
            }
        }

        return -1;
    }

    private bool PidEquals(int n, string pid)
    {
        ReadOnlySpan<byte> stored = _pids.AsSpan(_pidStart[n], _pidStart[n + 1] - _pidStart[n]);
        if (stored.Length > pid.Length * 3)
        {
            return false;
        }

        Span<byte> utf8 = pid.Length <= 64 ? stackalloc byte[pid.Length * 3] : new byte[pid.Length * 3];
        int length = Encoding.UTF8.GetBytes(pid, utf8);
        return stored.SequenceEqual(utf8[..length]);
    }

    private string Pid(int n) => Encoding.UTF8.GetString(_pids, _pidStart[n], _pidStart[n + 1] - _pidStart[n]);

    private int Slot(string pid) => string.GetHashCode(pid, StringComparison.Ordinal) & (_pidTable.Length - 1);

    /// <summary>The builder's array when it has exactly the entries (sized by the counts it was told), else a copy of them.</summary>
    private static T[] Exact<T>(T[] array, int count) => array.Length == count ? array : array.AsSpan(0, count).ToArray();

    private static int TableSize(int persons)
    {
        int size = 16;
        while (size < persons * 2L)
        {
            size <<= 1;
        }

        return size;
    }

    private PersonEntry Person(int n)
    {
        var birth = DateOnly.FromDayNumber(_birthDay[n]);
        var def = new PersonDef
        {
            Pid = Pid(n),
            BirthDate = birth.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            Flags = (_personBits[n] & PersonBits.Disability) != 0 ? [PersonFlags.Disability] : [],
            AutoPointPay = (_personBits[n] & PersonBits.AutoPointPay) != 0,
            OpeningValue = _openingValue[n],
            OpeningPoints = _openingPoints[n],
        };
        return new PersonEntry(def, birth);
    }

    private CardEntry Card(int c, string token)
    {
        ref readonly CardRecord r = ref _cards[c];
        var tech = (CardTech)((int)r.Bits / (int)CardBits.TechShift);
        return new CardEntry(token, tech, Encoding.UTF8.GetString(_pids, r.PidStart, r.PidLength), (r.Bits & CardBits.Lost) != 0, (r.Bits & CardBits.Authenticated) != 0, r.KeyVersion);
    }

    /// <summary>Collects persons, then cards (by ascending token when they come from an index; sorted at the end otherwise).</summary>
    public sealed class Builder(int personsHint = 0, int cardsHint = 0)
    {
        internal byte[] Pids = new byte[Math.Max(64, personsHint * 8)];
        internal int PidBytes;
        internal int[] PidStart = new int[Math.Max(16, personsHint + 1)];
        internal int[] BirthDay = new int[Math.Max(16, personsHint)];
        internal PersonBits[] PersonFlags = new PersonBits[Math.Max(16, personsHint)];
        internal long[] OpeningValue = new long[Math.Max(16, personsHint)];
        internal long[] OpeningPoints = new long[Math.Max(16, personsHint)];
        internal CardRecord[] Cards = new CardRecord[Math.Max(16, cardsHint)];
        private bool _sorted = true;

        public int PersonCount { get; private set; }

        public int CardCount { get; private set; }

        /// <summary>Adds a person; returns their number, which their cards name.</summary>
        public int AddPerson(string pid, DateOnly birthDate, bool disability, bool autoPointPay, long openingValue, long openingPoints)
        {
            ArgumentException.ThrowIfNullOrEmpty(pid);
            int n = PersonCount;
            Grow(ref BirthDay, n + 1);
            Grow(ref PersonFlags, n + 1);
            Grow(ref OpeningValue, n + 1);
            Grow(ref OpeningPoints, n + 1);
            Grow(ref PidStart, n + 2);
            int bytes = Encoding.UTF8.GetByteCount(pid);
            Grow(ref Pids, PidBytes + bytes);
            PidStart[n] = PidBytes;
            PidBytes += Encoding.UTF8.GetBytes(pid, Pids.AsSpan(PidBytes));
            PidStart[n + 1] = PidBytes;
            BirthDay[n] = birthDate.DayNumber;
            PersonFlags[n] = (disability ? PersonBits.Disability : PersonBits.None) | (autoPointPay ? PersonBits.AutoPointPay : PersonBits.None);
            OpeningValue[n] = openingValue;
            OpeningPoints[n] = openingPoints;
            PersonCount = n + 1;
            return n;
        }

        /// <summary>Adds a card of a person added before, by the 16 bytes of its token.</summary>
        public void AddCard(ReadOnlySpan<byte> token, int person, CardTech tech, bool lost, bool authenticated, int keyVersion)
        {
            if (token.Length != TokenBytes)
            {
                throw new ArgumentException($"a card token is {TokenBytes} bytes, not {token.Length}", nameof(token));
            }

            ArgumentOutOfRangeException.ThrowIfNegative(person);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(person, PersonCount);
            int c = CardCount;
            Grow(ref Cards, c + 1);
            var record = new CardRecord
            {
                High = BinaryPrimitives.ReadUInt64BigEndian(token),
                Low = BinaryPrimitives.ReadUInt64BigEndian(token[8..]),
                Person = person,
                KeyVersion = keyVersion,
                Bits = (CardBits)((int)tech * (int)CardBits.TechShift) | (lost ? CardBits.Lost : CardBits.None) | (authenticated ? CardBits.Authenticated : CardBits.None),
            };
            if (c > 0 && _sorted && Cards[c - 1].CompareTo(record) >= 0)
            {
                _sorted = false;
            }

            Cards[c] = record;
            CardCount = c + 1;
        }

        /// <summary>The packed persons and cards; the builder is not used again.</summary>
        public PackedRegistryPeople Build()
        {
            if (!_sorted)
            {
                SortCards();
            }

            return new PackedRegistryPeople(this);
        }

        // A sort of the records by their token halves (IComparable on the struct: no delegate per comparison).
        private void SortCards()
        {
            Array.Sort(Cards, 0, CardCount);
            for (int i = 1; i < CardCount; i++)
            {
                if (Cards[i].SameToken(Cards[i - 1]))
                {
                    throw new ArgumentException("cards: the same token twice");
                }
            }

            _sorted = true;
        }

        private static void Grow<T>(ref T[] array, int needed)
        {
            if (needed > array.Length)
            {
                Array.Resize(ref array, (int)Math.Min(Array.MaxLength, Math.Max(needed, array.Length * 2L)));
            }
        }
    }
}
